// Whole epochs in the studio against its step (`npm run bench:epoch -- [--epochs 3] [--backend wasm] [--rounds 1]
// [--steps 10] [--query k=v]`): serves its own build of the studio like the e2e suite, opens it as a first visit does (the bundled starter and
// the demo data, the studio's default settings), trains, and times every epoch as the page sees it — from the click
// on Train (epoch 1: compiling and sessions included) or the previous epoch's message to this one's, validation and
// checkpoint included — next to the worker's own breakdown of the epoch (EpochProfile: waiting for data, loading,
// steps, reporting, validation, checkpoint). In the same page it then times the same train step alone
// (src/engine/bench.ts through the worker's `bench` request), and here the same step on onnxruntime-node with as many
// threads as the studio's wasm, before and after the browser (VP_BENCH_DIST=<folder> builds elsewhere, e.g. to
// compare two checkouts sharing node_modules). Prints page images/s per epoch ÷ the step's and
// ÷ onnxruntime-node's, and the page's epoch time ÷ the time its own steps took (robust to other load on the
// machine: both are timed in the same epoch), writes bench/epoch-<timestamp>.json.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { benchStep, type StepBenchResult } from '../../src/engine/bench.ts';
import type { TrainConfig } from '../../src/engine/config.ts';
import type { EpochMetrics, EpochProfile } from '../../src/engine/trainer.ts';
import { NodeExecutor } from '../../src/runtime/node-executor.ts';
import type { BenchResult, Response } from '../../src/worker/protocol.ts';
import { launch, openStudio, setField } from '../browser.ts';
import { ROOT, startPreview } from '../global-setup.ts';
import { buildIfStale } from './build.ts';

const { values } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  options: { epochs: { type: 'string', default: '3' }, backend: { type: 'string', default: 'wasm' }, rounds: { type: 'string', default: '1' }, steps: { type: 'string', default: '10' }, query: { type: 'string', default: '' } },
});
const EPOCHS = Number(values.epochs), ROUNDS = Number(values.rounds), STEPS = Number(values.steps);
const MODEL = resolve(ROOT, 'models/starter-resnet.onnx');
const MODEL_URL = '/__bench/epoch/starter-resnet.onnx';
/** Its own build (never dist/, which an e2e run may be serving). */
const OUT_DIR = process.env.VP_BENCH_DIST ?? 'node_modules/.vp-bench-dist';

interface EpochEvent { t: number; metrics: EpochMetrics; profile?: EpochProfile }
interface PageRun { clickAt: number; startedAt: number; trainCount: number; valCount: number; epochs: EpochEvent[]; doneAt: number; cfg: TrainConfig; backbone: string; threads: number; label: string }
/** What the page exposes with ?debug (src/ui/main.tsx), and what this script records there. */
interface BenchWindow {
  __studio: { client: { on(fn: (m: Response) => void): () => void; bench(model: ArrayBuffer, cfg: TrainConfig, numClasses: number, o: { warmup: number; steps: number; pipelined: number }): Promise<BenchResult> }; store: { getState(): { cfg: TrainConfig; backbone: { name: string }; backend: { threads: number; label: string } } } };
  __epochBench: { started: number; trainCount: number; valCount: number; epochs: EpochEvent[]; done: number };
}

async function trainInPage(page: Page): Promise<PageRun> {
  await page.waitForSelector('[data-testid=data-summary]', { timeout: 240_000 });
  await page.waitForSelector('[data-testid=backbone-info]', { timeout: 240_000 });
  await setField(page, 'epochs', EPOCHS);
  await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('[data-testid=train-start]')?.disabled, null, { timeout: 60_000 });
  await page.evaluate(() => {
    const w = window as unknown as BenchWindow;
    w.__epochBench = { started: 0, trainCount: 0, valCount: 0, epochs: [], done: 0 };
    w.__studio.client.on((m) => {
      const r = w.__epochBench, t = performance.now();
      if (m.type === 'started') Object.assign(r, { started: t, trainCount: m.trainCount, valCount: m.valCount });
      else if (m.type === 'epoch') r.epochs.push({ t, metrics: m.metrics, profile: m.profile });
      else if (m.type === 'done') r.done = t;
    });
  });
  const clickAt = await page.evaluate(() => performance.now());
  await page.click('[data-testid=train-start]');
  await page.waitForFunction(() => ['done', 'diverged', 'error', 'stopped'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), null, { timeout: 3_600_000 });
  return page.evaluate((clickAt) => {
    const w = window as unknown as BenchWindow, r = w.__epochBench, s = w.__studio.store.getState();
    return { clickAt, startedAt: r.started, trainCount: r.trainCount, valCount: r.valCount, epochs: r.epochs, doneAt: r.done, cfg: s.cfg, backbone: s.backbone.name, threads: s.backend.threads, label: s.backend.label };
  }, clickAt);
}

/** The same step alone, in the studio's worker (random images, loss read back every step). */
const stepInPage = (page: Page, cfg: TrainConfig) => page.evaluate(async ({ url, cfg, steps }) => {
  const buf = await (await fetch(url)).arrayBuffer();
  return (window as unknown as BenchWindow).__studio.client.bench(buf, cfg, 10, { warmup: 3, steps, pipelined: 0 });
}, { url: MODEL_URL, cfg, steps: STEPS });

async function stepNode(cfg: TrainConfig, threads: number): Promise<StepBenchResult> {
  return benchStep({ backbone: new Uint8Array(readFileSync(MODEL)), cfg, numClasses: 10, executor: new NodeExecutor(threads), warmup: 3, steps: STEPS });
}

const f1 = (x: number) => x.toFixed(1);
const server = await (async () => { await buildIfStale(OUT_DIR); return startPreview(4177, { [MODEL_URL]: MODEL }, OUT_DIR); })();
const browser = await launch();
const rounds: { run: PageRun; step: BenchResult; nodeBefore: StepBenchResult; nodeAfter: StepBenchResult; rows: Record<string, number | string>[] }[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    const s = await openStudio(browser, server.url, `backend=${values.backend}${values.query ? '&' + values.query : ''}`, { width: 1280, height: 900 });
    const threads = await s.page.evaluate(() => (window as unknown as BenchWindow).__studio.store.getState().backend.threads);
    await s.page.waitForSelector('[data-testid=data-summary]', { timeout: 240_000 });
    const probeCfg = await s.page.evaluate(() => (window as unknown as BenchWindow).__studio.store.getState().cfg);
    const nodeBefore = await stepNode({ ...probeCfg, epochs: EPOCHS }, threads);
    const run = await trainInPage(s.page);
    if (!run.backbone.includes('starter-resnet')) throw new Error(`the studio trained "${run.backbone}", not the starter ResNet this script times`);
    const step = await stepInPage(s.page, run.cfg);
    await s.context.close();
    const nodeAfter = await stepNode(run.cfg, threads);
    const nodeIps = (nodeBefore.imagesPerS + nodeAfter.imagesPerS) / 2;
    const rows = run.epochs.map((e, i) => {
      const from = i === 0 ? run.clickAt : run.epochs[i - 1].t, wall = (e.t - from) / 1000, ips = run.trainCount / wall;
      const p = e.profile, steps = Math.ceil(run.trainCount / run.cfg.batchSize);
      return {
        epoch: i + 1, 'page s': +wall.toFixed(2), 'page img/s': +f1(ips), 'worker img/s': +f1(e.metrics.images_per_s), 'step img/s': +f1(step.imagesPerS), 'node img/s': +f1(nodeIps),
        'step ÷ page': +(step.imagesPerS / ips).toFixed(2), 'node ÷ page': +(nodeIps / ips).toFixed(2),
        // the same ratio against the steps of this epoch (timed inside the run, so a busy machine slows both alike)
        ...(p ? { 'page ÷ its steps': +(wall / (p.step / 1000)).toFixed(2), 'outside steps %': Math.round(100 * (1 - p.step / 1000 / wall)) } : {}),
        ...(p ? { 'run ms/step': +f1(p.step / steps), 'alone ms/step': +f1(step.medianMs), 'setup ms': Math.round(p.setup), 'steps ms': Math.round(p.step), 'data wait ms': Math.round(p.dataWait), 'load ms': Math.round(p.load), 'report ms': Math.round(p.report), 'val ms': Math.round(p.validation), 'ckpt ms': Math.round(p.checkpoint), 'worker wall ms': Math.round(p.wall) } : {}),
      };
    });
    rounds.push({ run, step, nodeBefore, nodeAfter, rows });
    console.log(`round ${round + 1}: ${run.label}, ${threads} thread(s); ${run.trainCount} training + ${run.valCount} validation images, batch ${run.cfg.batchSize}, ${run.cfg.method}+${run.cfg.head}, augment ${run.cfg.augment}`);
    console.log(`  step alone: studio ${f1(step.medianMs)} ms (${f1(step.imagesPerS)} img/s), onnxruntime-node ${f1(nodeBefore.medianMs)} / ${f1(nodeAfter.medianMs)} ms (${f1(nodeIps)} img/s): studio step ÷ native ${(nodeIps / step.imagesPerS).toFixed(2)}×`);
    console.table(rows);
  }
} finally {
  await browser.close();
  await server.close();
}
mkdirSync(join(ROOT, 'bench'), { recursive: true });
const file = join(ROOT, 'bench', `epoch-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine: { cores: cpus().length, cpu: cpus()[0]?.model }, epochs: EPOCHS, backend: values.backend, query: values.query, rounds }, null, 1) + '\n');
console.log(`wrote ${relative(ROOT, file)}`);
