// The UI's responsiveness while the studio trains (`npm run bench:ui -- [--seconds 20] [--rounds 2]`): serves the
// built studio like the e2e suite, opens it on the bundled starter + demo data (wasm), starts a run and, while it
// trains, clicks a disclosure in the page every 250 ms. The Event Timing API gives each interaction's
// input-to-next-paint duration (entries only exist from 16 ms on: interactions without an entry count as < 16 ms).
// Configurations, alternated per round on the same machine: "before" = the old behaviour (wasm threads on every
// core, charts redrawn on every store update: ?threads=<cores>&chartms=0), "after" = the defaults (one core left to
// the page, charts redrawn once a second). Prints p50/p95/max and the steps trained, writes bench/ui-<timestamp>.json.
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Page } from 'playwright-core';
import { launch, openStudio, setField } from '../browser.ts';
import { ROOT, startPreview } from '../global-setup.ts';

const { values } = parseArgs({ options: { seconds: { type: 'string', default: '20' }, rounds: { type: 'string', default: '2' } } });
const SECONDS = Number(values.seconds), ROUNDS = Number(values.rounds);
const cores = cpus().length;
const CONFIGS = [
  { name: 'before', query: `threads=${Math.min(4, cores)}&chartms=0`, what: `wasm threads = all ${cores} cores, charts redrawn on every update` },
  { name: 'after', query: '', what: 'defaults: one core left to the page, charts redrawn once a second' },
];

interface Result { name: string; round: number; interactions: number; p50: number; p95: number; max: number; over100: number; steps: number }

const percentile = (xs: number[], q: number) => xs[Math.min(xs.length - 1, Math.floor(q * xs.length))];

async function measure(page: Page): Promise<{ durations: number[]; steps: number }> {
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
  await setField(page, 'epochs', 20);
  await page.click('[data-testid=train-start]');
  await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'running', null, { timeout: 120_000 });
  const t0 = Date.now();
  let sent = 0;
  while (Date.now() - t0 < SECONDS * 1000) {
    await page.click('[data-testid=backend-why-toggle]');
    sent++;
    await page.waitForTimeout(250);
  }
  const got = await page.evaluate(() => [...(window as unknown as { __durations: Map<number, number> }).__durations.values()]);
  const steps = await page.evaluate(() => (window as unknown as { __studio: { store: { getState(): { run: { steps: { step: number }[] } } } } }).__studio.store.getState().run.steps.at(-1)?.step ?? 0);
  await page.click('[data-testid=train-stop]');
  // interactions without an entry took under 16 ms
  const durations = [...got, ...Array<number>(Math.max(0, sent - got.length)).fill(8)].sort((a, b) => a - b);
  return { durations, steps };
}

const server = await startPreview(4175);
const browser = await launch();
const results: Result[] = [];
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const c of CONFIGS) {
      const s = await openStudio(browser, server.url, `backend=wasm&${c.query}`, { width: 1280, height: 900 });
      await s.page.waitForSelector('[data-testid=data-summary]', { timeout: 240_000 });
      const { durations, steps } = await measure(s.page);
      const r: Result = { name: c.name, round, interactions: durations.length, p50: percentile(durations, 0.5), p95: percentile(durations, 0.95), max: durations.at(-1)!, over100: durations.filter((d) => d > 100).length, steps };
      results.push(r);
      console.log(`${c.name.padEnd(7)} round ${round}: ${r.interactions} clicks, input-to-paint p50 ${r.p50} ms, p95 ${r.p95} ms, max ${r.max} ms, >100 ms: ${r.over100}; ${steps} steps trained in ${SECONDS} s`);
      await s.context.close();
    }
  }
} finally {
  await browser.close();
  await server.close();
}
const summary = CONFIGS.map((c) => {
  const all = results.filter((r) => r.name === c.name);
  return { name: c.name, what: c.what, p95: Math.max(...all.map((r) => r.p95)), p50: Math.max(...all.map((r) => r.p50)), stepsPerRound: all.map((r) => r.steps) };
});
console.table(summary);
mkdirSync(join(ROOT, 'bench'), { recursive: true });
const file = join(ROOT, 'bench', `ui-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine: { cores, cpu: cpus()[0]?.model }, seconds: SECONDS, configs: CONFIGS, results, summary }, null, 2) + '\n');
console.log(`wrote ${file}`);
