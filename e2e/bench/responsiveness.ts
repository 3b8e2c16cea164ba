// The UI's responsiveness while the studio trains (`npm run bench:ui -- [--epochs 1] [--rounds 2]`): serves the
// built studio like the e2e suite, opens it on the bundled starter + demo data (wasm), starts a run and, from the
// click on Train until 2 s after the run ended (compiling, steps, evaluation, results), clicks a disclosure in the
// page every 250 ms. The Event Timing API gives each interaction's
// input-to-next-paint duration (entries only exist from 16 ms on: interactions without an entry count as < 16 ms).
// Configurations, alternated per round on the same machine: "before" = charts redrawn on every store update
// (?chartms=0), "after" = the defaults (once a second while training), "ui-core" = the defaults with one core left
// to the page (?threads=cores−1). Prints p50/p95/max and the run's time, writes bench/ui-<timestamp>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launch, openStudio, setField } from '../browser.ts';
import { ROOT, startPreview } from '../global-setup.ts';

const { values } = parseArgs({ options: { epochs: { type: 'string', default: '1' }, rounds: { type: 'string', default: '2' } } });
const EPOCHS = Number(values.epochs), ROUNDS = Number(values.rounds);
const cores = cpus().length;
const CONFIGS = [
  { name: 'before', query: 'chartms=0&threads=' + Math.min(4, cores), what: `charts redrawn on every store update (5/s), wasm threads on all ${cores} cores` },
  { name: 'after', query: '', what: 'defaults: charts redrawn once a second while training' },
  { name: 'ui-core', query: 'threads=' + Math.max(1, Math.min(4, cores - 1)), what: 'defaults, and one core left to the page (wasm threads = cores − 1)' },
];

interface Result { name: string; round: number; interactions: number; p50: number; p95: number; max: number; over100: number; steps: number; seconds: number }

const percentile = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function measure(page: Page): Promise<{ durations: number[]; steps: number; seconds: number }> {
  await page.evaluate(() => {
    const w = window as unknown as { __durations: Map<number, number> };
    w.__durations = new Map();
    new PerformanceObserver((list) => {
      for (const e of list.getEntries() as PerformanceEventTiming[]) {
        const id = (e as PerformanceEventTiming & { interactionId: number }).interactionId;
        if (id) w.__durations.set(id, Math.max(w.__durations.get(id) ?? 0, e.duration));
      }
    }).observe({ type: 'event', durationThreshold: 16, buffered: false } as PerformanceObserverInit);
  });
  await setField(page, 'epochs', EPOCHS);
  await page.click('[data-testid=train-start]');
  // the whole run: compiling, training, the end-of-run evaluation and the results appearing
  const t0 = Date.now();
  let sent = 0, end = Infinity;
  while (Date.now() < end && Date.now() - t0 < 600_000) {
    await page.click('[data-testid=backend-why-toggle]');
    sent++;
    await page.waitForTimeout(250);
    if (end === Infinity && ['done', 'stopped', 'diverged', 'error'].includes((await page.textContent('[data-testid=run-status]')) ?? '')) end = Date.now() + 2000;
  }
  const seconds = (Date.now() - t0) / 1000;
  const got = await page.evaluate(() => [...(window as unknown as { __durations: Map<number, number> }).__durations.values()]);
  const steps = await page.evaluate(() => (window as unknown as { __studio: { store: { getState(): { run: { steps: { step: number }[] } } } } }).__studio.store.getState().run.steps.at(-1)?.step ?? 0);
  // interactions without an entry took under 16 ms
  const durations = [...got, ...Array<number>(Math.max(0, sent - got.length)).fill(8)].sort((a, b) => a - b);
  return { durations, steps, seconds };
}

const server = await startPreview(4175);
const browser = await launch();
const results: Result[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CONFIGS) {
      const s = await openStudio(browser, server.url, `backend=wasm&${c.query}`, { width: 1280, height: 900 });
      await s.page.waitForSelector('[data-testid=data-summary]', { timeout: 240_000 });
      const { durations, steps, seconds } = await measure(s.page);
      const r: Result = { name: c.name, round, interactions: durations.length, p50: percentile(durations, 0.5), p95: percentile(durations, 0.95), max: durations.at(-1)!, over100: durations.filter((d) => d > 100).length, steps, seconds };
      results.push(r);
      console.log(`${c.name.padEnd(7)} round ${round}: ${r.interactions} clicks, input-to-paint p50 ${r.p50} ms, p95 ${r.p95} ms, max ${r.max} ms, >100 ms: ${r.over100}; run of ${steps + 1} steps took ${seconds.toFixed(1)} s`);
      await s.context.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}
const summary = CONFIGS.map((c) => {
  const all = results.filter((r) => r.name === c.name);
  return { name: c.name, what: c.what, p95: Math.max(...all.map((r) => r.p95)), p50: Math.max(...all.map((r) => r.p50)), max: Math.max(...all.map((r) => r.max)), runSeconds: all.map((r) => +r.seconds.toFixed(1)) };
});
console.table(summary);
mkdirSync(join(ROOT, 'bench'), { recursive: true });
const file = join(ROOT, 'bench', `ui-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine: { cores, cpu: cpus()[0]?.model }, epochs: EPOCHS, configs: CONFIGS, results, summary }, null, 2) + '\n');
console.log(`wrote ${file}`);
