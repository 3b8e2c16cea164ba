// Helpers of the browser tests: launch Debian's Chromium with WebGPU on SwiftShader (--enable-unsafe-webgpu),
// open the studio, load the tiny fixtures through the public test hooks, train, read the store (?debug), and
// save screenshots and downloads under e2e/artifacts/.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

export const FIXTURES = resolve(import.meta.dirname, 'fixtures');
export const ARTIFACTS = resolve(import.meta.dirname, 'artifacts');

const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's serious and critical violations, one line each. */
export async function axe(page: Page): Promise<string[]> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: AXE });
  return page.evaluate(async () => {
    type V = { id: string; impact: string; nodes: { target: string[] }[] };
    const r = await (window as unknown as { axe: { run(d: Document, o: object): Promise<{ violations: V[] }> } }).axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
  });
}

export const chromiumPath = () => process.env.CHROMIUM ?? '/usr/bin/chromium';

export function launch(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({ executablePath: chromiumPath(), args: ['--enable-unsafe-webgpu', ...extraArgs] });
}

/** What the tests read from the page's store (exposed with ?debug). */
export interface Snapshot {
  phase: string;
  backend: string;
  losses: number[];
  /** The step index of each loss (on WebGPU the loss is read back only a few times a second). */
  steps: number[];
  lrs: number[];
  epochs: { val_acc: number | null; train_acc: number }[];
  params: Record<string, { shape: number[] }> | undefined;
  evaluation: { accuracy: number } | undefined;
}

export async function snapshot(page: Page): Promise<Snapshot> {
  return page.evaluate(() => {
    const w: { __studio?: { store: { getState(): { run: { phase: string; backend: string; steps: { step: number; loss: number; lr: number }[]; epochs: { val_acc: number | null; train_acc: number }[] }; view?: { params: Record<string, { shape: number[] }>; record: { evaluation?: { accuracy: number } } } } } } } = window as never;
    const s = w.__studio!.store.getState();
    return {
      phase: s.run.phase, backend: s.run.backend, losses: s.run.steps.map((x) => x.loss), steps: s.run.steps.map((x) => x.step), lrs: s.run.steps.map((x) => x.lr), epochs: s.run.epochs,
      params: s.view && Object.fromEntries(Object.entries(s.view.params).map(([k, v]) => [k, { shape: v.shape }])), evaluation: s.view?.record.evaluation,
    };
  });
}

/** `placements`: onnxruntime's node-placement lines; `captureLog`: its graph-capture lines (both need ?ortlog=verbose). */
export interface Studio { context: BrowserContext; page: Page; logs: string[]; placements: string[]; captureLog: string[] }

/** Opens the studio in a fresh context (its own IndexedDB) and waits for the backend badge. */
export async function openStudio(browser: Browser, baseUrl: string, query: string, viewport = { width: 1400, height: 1000 }): Promise<Studio> {
  const context = await browser.newContext({ viewport, acceptDownloads: true });
  const page = await context.newPage();
  // CI's 2-core machine has stalled for tens of seconds under load: every wait without its own timeout gets 90 s
  // (a broken feature still fails, later)
  page.setDefaultTimeout(90_000);
  const logs: string[] = [], placements: string[] = [], captureLog: string[] = [];
  const keep = (text: string) => {
    if (/placed on \[|Node placements/.test(text)) placements.push(text);
    else if (/graph capture/i.test(text)) captureLog.push(text);
    else if (!/\[[VI]:onnxruntime/.test(text)) logs.push(text);
  };
  page.on('console', (m) => keep(`${m.type()}: ${m.text()}`));
  page.on('worker', (w) => w.on('console', (m) => keep(m.text())));
  page.on('pageerror', (e) => logs.push(`pageerror: ${e.message}`));
  await page.goto(`${baseUrl}/?debug&${query}`);
  await waitBackend(page);
  return { context, page, logs, placements, captureLog };
}

export async function waitBackend(page: Page): Promise<string> {
  await page.waitForFunction(() => {
    const t = document.querySelector('[data-testid=backend]')?.getAttribute('data-label') ?? '';
    return t.length > 0 && !t.includes('starting');
  }, null, { timeout: 120_000 });
  return backendLabel(page);
}

/** The backend's whole label (the badge shows a short one; the reason is one click away). */
export async function backendLabel(page: Page): Promise<string> {
  return (await page.getAttribute('[data-testid=backend]', 'data-label')) ?? '';
}

/** The tiny ViT (16×16, patch 4, 2 blocks, width 16) and the 3-class shapes folder through the file inputs. */
export async function loadTiny(page: Page, model = 'tiny-vit.onnx'): Promise<void> {
  await page.setInputFiles('[data-testid=model-input]', join(FIXTURES, model));
  await page.setInputFiles('[data-testid=dataset-input]', join(FIXTURES, 'shapes'));
  await page.waitForSelector('[data-testid=data-summary]', { timeout: 120_000 });
  await page.waitForSelector('[data-testid=backbone-info]', { timeout: 120_000 });
}

export async function setNumber(page: Page, selector: string, value: number): Promise<void> {
  await page.fill(selector, String(value));
}

/** Sets a field by its label text (the studio's <label class=field><span>label</span><input/></label>). */
export async function setField(page: Page, label: string, value: number): Promise<void> {
  await page.locator('label.field', { has: page.locator(`span:text-is("${label}")`) }).locator('input').fill(String(value));
}

/** Clicks Train and waits until the run status reads one of `until`. Returns the seconds it took. */
export async function trainAndWait(page: Page, until: string[] = ['done'], timeoutMs = 400_000): Promise<number> {
  await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('[data-testid=train-start]')?.disabled, null, { timeout: 60_000 });
  const t0 = Date.now();
  const before = await page.textContent('[data-testid=run-status]');
  await page.click('[data-testid=train-start]');
  // Train first settles the memory plan of the settings shown, then the run starts: until then the status still
  // shows the last run's ('done'), which must not be taken for this run's end
  if (before !== 'idle') await page.waitForFunction((b) => document.querySelector('[data-testid=run-status]')?.textContent !== b, before, { timeout: 60_000 });
  await page.waitForFunction((u) => {
    const t = document.querySelector('[data-testid=run-status]')?.textContent ?? '';
    return u.includes(t) || t === 'error';
  }, until, { timeout: timeoutMs });
  const status = await page.textContent('[data-testid=run-status]');
  if (status === 'error') throw new Error(`run failed: ${await page.textContent('[data-testid=run-error]')}`);
  return (Date.now() - t0) / 1000;
}

/** Presses Tab until `selector` has the focus (at most `max` times); returns how many presses it took. */
export async function tabTo(page: Page, selector: string, max = 80): Promise<number> {
  for (let i = 1; i <= max; i++) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((s) => document.activeElement?.matches(s) ?? false, selector)) return i;
  }
  throw new Error(`Tab never reached ${selector}`);
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Clicks a download button and saves the file under e2e/artifacts/<prefix>-<suggested name>. */
export async function downloadVia(page: Page, testId: string, prefix: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const [dl] = await Promise.all([page.waitForEvent('download', { timeout: 120_000 }), page.click(`[data-testid=${testId}]`)]);
  const path = join(ARTIFACTS, `${prefix}-${dl.suggestedFilename()}`);
  await dl.saveAs(path);
  return path;
}
