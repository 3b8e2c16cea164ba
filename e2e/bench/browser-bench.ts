// The step benchmark in Chromium (`npm run bench:browser -- [--model m.onnx ...] [--batch 16,32] [--methods a,b]
// [--backends webgpu,wasm] [--steps N] [--warmup N] [--pipelined N] [--prime N] [--classes N]`): serves the built studio like
// the e2e suite (vite preview with COOP/COEP; rebuilt first when dist/ is older than its sources), opens it per
// backend with ?backend=…&preload=0&debug, and runs src/engine/bench.ts's benchStep in the studio's own worker
// through window.__studio.client.bench — model bytes read here and served to the page. Next to the browser's own
// memory figures, the peak RSS of Chromium's renderer and GPU processes per configuration (Linux). Prints a table
// and writes bench/browser-<timestamp>.json with the machine (OS, CPUs, Chromium, adapter, onnxruntime-web).
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { arch, cpus, release, totalmem, type } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { Browser } from 'playwright-core';
import { backboneInfo, compileTrainStep, initParams } from '../../src/engine/compile.ts';
import { graphStats } from '../../src/engine/graph-stats.ts';
import { DEFAULTS, type Method, type TrainConfig } from '../../src/engine/config.ts';
import type { BackendState } from '../../src/store/state.ts';
import type { WorkerClient } from '../../src/worker/client.ts';
import type { BenchResult } from '../../src/worker/protocol.ts';
import { launch, openStudio, type Studio } from '../browser.ts';
import { ROOT, startPreview } from '../global-setup.ts';
import { buildIfStale } from './build.ts';
import { readPeaks, resetPeaks, type ProcessPeaks } from './process-memory.ts';

type Backend = 'webgpu' | 'wasm';
/** Methods benchmarked per backbone family (head lp), as the Node benchmark. */
const FAMILY_METHODS: Record<string, Method[]> = { resnet: ['lorvp', 'pad', 'none'], vit: ['lorvp', 'vpt', 'vpt-deep', 'pad', 'none'] };
/** What the page exposes with ?debug (src/ui/main.tsx). */
interface BenchWindow { __studio?: { client: Pick<WorkerClient, 'bench'>; store: { getState(): { backend: BackendState } } } }

interface Row {
  backend: Backend; model: string; method: Method; batch: number;
  result: BenchResult | undefined; error: string | undefined; processes: ProcessPeaks | undefined;
  /** The compiled step: nodes and GFLOPs (MatMul/Gemm/Conv multiply-adds ×2). */
  stepNodes?: number; stepGflops?: number;
}

const list = (s: string) => s.split(',').map((x) => x.trim()).filter((x) => x.length > 0);

function options() {
  const { values } = parseArgs({
    args: process.argv.slice(2).filter((a) => a !== '--'),
    options: {
      model: { type: 'string', multiple: true, default: ['models/starter-resnet.onnx', 'models/starter-vit.onnx'] },
      batch: { type: 'string', default: '16,32' },
      methods: { type: 'string' },
      backends: { type: 'string', default: 'webgpu,wasm' },
      steps: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '2' },
      pipelined: { type: 'string', default: '0' },
      prime: { type: 'string', default: '2' },
      classes: { type: 'string', default: '10' },
    },
  });
  const backends = list(values.backends);
  for (const b of backends) if (!/^(webgpu|wasm)(:(plain|jspi|asyncify))?$/.test(b)) throw new Error(`--backends: unknown backend "${b}" (webgpu, wasm, optionally :plain|:jspi|:asyncify for the onnxruntime-web build)`);
  const num = (name: string, v: string, min: number) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
  return {
    models: values.model.map((m) => resolve(m)),
    batches: list(values.batch).map((b) => num('batch', b, 1)),
    methods: values.methods ? list(values.methods) : undefined,
    backends: backends as Backend[],
    steps: num('steps', values.steps, 1), warmup: num('warmup', values.warmup, 0), pipelined: num('pipelined', values.pipelined, 0), prime: num('prime', values.prime, 0),
    classes: num('classes', values.classes, 2),
  };
}

/** The configuration the Node benchmark uses (src/cli/bench.ts defaults), the pad width scaled to the input. */
function config(method: Method, batch: number, inputSize: number): TrainConfig {
  return { ...DEFAULTS, method, head: 'lp', batchSize: batch, augment: false, padWidth: Math.max(1, Math.min(Math.round((30 * inputSize) / 224), Math.ceil(inputSize / 2) - 1)) };
}

const benchUrl = (i: number, path: string) => `/__bench/${i}/${basename(path)}`;

async function benchBackend(browser: Browser, baseUrl: string, backend: Backend, o: ReturnType<typeof options>, rows: Row[]): Promise<BackendState> {
  // "wasm:plain" = the wasm backend on the plain onnxruntime-web build (?ortbuild=), rows labelled so
  const [ep, build] = backend.split(':') as [Backend, string | undefined];
  const studio: Studio = await openStudio(browser, baseUrl, `backend=${ep}&preload=0${build ? `&ortbuild=${build}` : ''}`);
  const { page, context } = studio;
  try {
    const state = await page.evaluate(() => (window as BenchWindow).__studio!.store.getState().backend);
    if (state.ep !== ep) throw new Error(`asked for ${ep}, the studio started ${state.label}`);
    console.log(`${backend}: ${state.label} · ${state.runtime} · ${state.threads} wasm thread(s), cross-origin isolated ${state.isolated}`);
    for (const [i, path] of o.models.entries()) {
      const bytes = new Uint8Array(readFileSync(path));
      const info = backboneInfo(bytes);
      const url = benchUrl(i, path);   // served from disk by the preview server (startPreview's files)
      const methods = (FAMILY_METHODS[info.family] ?? ['lorvp', 'pad', 'none']).filter((m) => !o.methods || o.methods.includes(m));
      const bench = (method: Method, batch: number, run: { warmup: number; steps: number; pipelined: number }) =>
        page.evaluate(async ({ url, cfg, numClasses, run }) => {
          const buf = await (await fetch(url)).arrayBuffer();
          return (window as BenchWindow).__studio!.client.bench(buf, cfg, numClasses, run);
        }, { url, cfg: config(method, batch, info.inputSize), numClasses: o.classes, run });
      if (o.prime && methods.length && o.batches.length) {
        // untimed: the first configuration of a fresh page runs on onnxruntime's wasm code before V8 has optimised
        // it (seen: 1.5 s/step instead of 0.34 s on the CPU path), which a step or two of warm-up does not cover
        const t0 = Date.now();
        await bench(methods[0], o.batches[0], { warmup: 0, steps: o.prime, pipelined: 0 }).catch(() => undefined);
        console.log(`  ${relative(ROOT, path)}: primed with ${o.prime} untimed step(s) of ${methods[0]} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
      }
      for (const batch of o.batches) {
        for (const method of methods) {
          // the step's size and cost, from the same compiler the worker runs (static: nodes, GFLOPs)
          const cfg = config(method, batch, info.inputSize);
          const st = graphStats(compileTrainStep(bytes, cfg, o.classes, batch, initParams(cfg, info, o.classes)).graph);
          const row: Row = { backend, model: relative(ROOT, path), method, batch, result: undefined, error: undefined, processes: undefined, stepNodes: st.nodes, stepGflops: st.flops / 1e9 };
          const t0 = Date.now();
          resetPeaks();
          try {
            row.result = await bench(method, batch, { warmup: o.warmup, steps: o.steps, pipelined: o.pipelined });
          } catch (e) {
            row.error = (e instanceof Error ? e.message : String(e)).replace(/^page\.evaluate: (Error: )?/, '').split('\n')[0];
          }
          row.processes = readPeaks();
          rows.push(row);
          const r = row.result;
          console.log(`  ${row.model} ${method} batch ${batch}: ${r ? `${r.medianMs.toFixed(1)} ms/step, ${r.imagesPerS.toFixed(1)} images/s` : `error: ${row.error}`} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
        }
      }
    }
    return state;
  } catch (e) {
    if (studio.logs.length) console.error(studio.logs.slice(-20).join('\n'));
    throw e;
  } finally {
    await context.close();
  }
}

function table(rows: Row[]): string {
  const f = (x: number | undefined, d = 1) => (x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(d));
  const head = ['backend', 'model', 'method', 'batch', 'step nodes', 'GFLOPs', 'compile s', 'session s', 'median ms/step', 'images/s', 'pipelined ms', 'est. peak MiB', 'wasm MiB', 'UA MiB', 'renderer MiB', 'GPU proc MiB', 'loss first→last'];
  const body = rows.map((w) => {
    const r = w.result;
    if (!r) return [w.backend, w.model, w.method, String(w.batch), String(w.stepNodes ?? '-'), f(w.stepGflops, 2), `error: ${w.error}`];
    return [w.backend, w.model, w.method, String(w.batch), String(w.stepNodes ?? '-'), f(w.stepGflops, 2), f(r.compileMs / 1000, 2), f(r.sessionMs / 1000, 2), f(r.medianMs), f(r.imagesPerS), f(r.pipelinedMs),
      f(r.estimatedPeakBytes / 2 ** 20), f(r.memory?.wasmMb), f(r.memory?.uaMemoryMb), f(w.processes?.rendererPeakMb, 0), f(w.processes?.gpuPeakMb, 0),
      `${r.firstLoss.toFixed(3)}→${r.lastLoss.toFixed(3)}`];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => (b.length > 5 && b[i] ? b[i].length : 0))));
  const line = (cells: string[]) => '| ' + cells.map((c, i) => (i < 4 || cells.length <= 5 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i]))).join(' | ') + ' |';
  return [line(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...body.map(line)].join('\n');
}

async function main(): Promise<void> {
  const o = options();
  await buildIfStale();
  const server = await startPreview(4174, Object.fromEntries(o.models.map((p, i) => [benchUrl(i, p), p])));
  // eager measureUserAgentSpecificMemory(): without it Chromium resolves the measurement at its next GC (~20 s)
  const browser = await launch(['--enable-blink-features=ForceEagerMeasureMemory']);
  const rows: Row[] = [];
  const backends: Record<string, BackendState> = {};
  try {
    for (const b of o.backends) backends[b] = await benchBackend(browser, server.url, b, o, rows);
  } finally {
    const version = browser.version();
    await browser.close();
    await server.close();
    console.log('\n' + table(rows));
    const ortWeb = JSON.parse(readFileSync(resolve(ROOT, 'node_modules/onnxruntime-web/package.json'), 'utf8')) as { version: string };
    const c = cpus();
    const machine = {
      os: `${type()} ${release()} ${arch()}`, cpus: `${c.length} × ${c[0]?.model ?? '?'}`, memoryGiB: Math.round(totalmem() / 2 ** 30),
      chromium: version, onnxruntimeWeb: ortWeb.version, adapter: backends.webgpu?.label, wasm: backends.wasm?.label,
      wasmThreads: (backends.wasm ?? backends.webgpu)?.threads, crossOriginIsolated: (backends.wasm ?? backends.webgpu)?.isolated,
    };
    const dir = resolve(ROOT, 'bench');
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `browser-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
    const settings = { steps: o.steps, warmup: o.warmup, pipelined: o.pipelined, prime: o.prime, classes: o.classes, head: 'lp' };
    writeFileSync(file, JSON.stringify({ machine, settings, results: rows }, null, 1) + '\n');
    console.log(`\nwrote ${relative(ROOT, file)}`);
  }
}

main().catch((e: unknown) => {
  console.error(`bench:browser: ${e instanceof Error ? e.message : String(e)}`);
  process.exitCode = 1;
});
