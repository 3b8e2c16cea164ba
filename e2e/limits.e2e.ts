// Limits before minutes of work, failures in one sentence, focus and announcements, readable charts, and runs that
// teach nothing said as such (issue 17, items 1–4): batch 100000 on 24 training images is refused at the field with
// the limit named and no run starts; an injected onnxruntime failure ends as one sentence with no console errors; focus
// stays on a visible control from Train to the end of a run; a diverged run's chart labels are short and distinct and
// its results offer nothing untrained; the runs table keeps its column names at 390 px; delete asks first.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { axe, downloadVia, launch, loadTiny, openStudio, screenshot, setField, trainAndWait } from './browser.ts';

const baseUrl = inject('baseUrl');
let browser: Browser;
beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

const FUSED = "failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: Non-zero status code returned while running FusedConv node. Name:'/conv' Status Message: Calculation for Tensor storage size overflowed";

const field = (page: Page, label: string) => page.locator('label.field', { has: page.locator(`span:text-is("${label}")`) });

/** The field's input, its visible problem, and whether the problem is tied to the input (aria-describedby). */
async function fieldProblem(page: Page, label: string): Promise<{ text: string | null; invalid: string | null; tied: boolean }> {
  const f = field(page, label);
  const input = f.locator('input').first();
  const text = await f.locator('.field-error').textContent({ timeout: 10_000 });
  const described = await input.getAttribute('aria-describedby');
  const tied = !!described && (await page.locator(`[id="${described}"]`).textContent()) === text;
  return { text, invalid: await input.getAttribute('aria-invalid'), tied };
}

/** The studio at 1280 px on wasm with the tiny ViT and the shapes folder, batch 8 and `epochs` epochs. */
async function tinyStudio(epochs: number, query = '') {
  const s = await openStudio(browser, baseUrl, `backend=wasm&preload=0${query}`, { width: 1280, height: 900 });
  await loadTiny(s.page);
  await setField(s.page, 'batch size', 8);
  await s.page.fill('[data-testid=epochs-input]', String(epochs));
  return s;
}

describe.sequential('limits and failures (issue 17)', () => {
  it('batch 100000 is refused at the field before any run; an onnxruntime failure mid-run ends as one sentence', async () => {
    const s = await openStudio(browser, baseUrl, `backend=wasm&preload=0&fault=${encodeURIComponent(FUSED)}&faultafter=1`, { width: 1280, height: 900 });
    const { page } = s;
    await loadTiny(page);
    await setField(page, 'batch size', 100000);
    await page.waitForSelector('label.field:has(span:text-is("batch size")) .field-error');
    expect(await fieldProblem(page, 'batch size')).toEqual({ text: 'must be at most 24: the data has 24 training images', invalid: 'true', tied: true });
    expect(await page.isDisabled('[data-testid=train-start]')).toBe(true);
    expect(await page.getAttribute('[data-testid=train-start]', 'title')).toBe('fix "batch size": must be at most 24: the data has 24 training images');
    await setField(page, 'batch size', 8);
    await setField(page, 'learning rate', 0);
    await page.waitForSelector('label.field:has(span:text-is("learning rate")) .field-error');
    expect(await fieldProblem(page, 'learning rate')).toMatchObject({ text: 'must be greater than 0: a learning rate of 0 trains nothing', invalid: 'true', tied: true });
    expect(await page.isDisabled('[data-testid=train-start]')).toBe(true);
    await setField(page, 'learning rate', 0.05);
    await page.fill('[data-testid=epochs-input]', '1');
    expect(await page.$$('[data-testid=run-row]')).toHaveLength(0);   // nothing started while refused
    await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('[data-testid=train-start]')?.disabled, null, { timeout: 60_000 });
    const errorsBefore = s.logs.filter((l) => l.startsWith('error')).length;
    await page.click('[data-testid=train-start]');
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'error', null, { timeout: 120_000 });
    const said = await page.textContent('[data-testid=run-error]');
    expect(said).toBe('A tensor of this training step is too large for onnxruntime: lower the batch size (now 8) or set a smaller micro-batch.');
    expect(await page.evaluate(() => document.body.innerText.includes('OrtRun'))).toBe(false);   // the raw text only in closed details
    await page.waitForFunction(() => /error/.test(document.querySelector('[data-testid=run-row]')?.textContent ?? ''));
    const consoleErrors = s.logs.filter((l) => l.startsWith('error')).slice(errorsBefore);
    expect(consoleErrors).toEqual([]);
    await screenshot(page, 'limits-error');
    await s.context.close();
  }, 300_000);

  it('focus stays on a visible control through start, pause, resume, stop and the end of a run; each change is announced', async () => {
    const s = await tinyStudio(20000);   // long enough that an epoch is announced (at most one per EPOCH_GAP_MS) before the run could end
    const { page } = s;
    await page.evaluate(() => {
      const w = window as unknown as { __said: string[] };
      w.__said = [];
      const box = document.querySelector('[data-testid=announce]')!;
      new MutationObserver(() => { const t = box.textContent ?? ''; if (t) w.__said.push(t); }).observe(box, { subtree: true, childList: true, characterData: true });
    });
    const focused = () => page.evaluate(() => {
      const a = document.activeElement;
      return `${a?.getAttribute('data-testid') ?? a?.tagName}${a?.matches(':focus-visible') ? ' (ring)' : ''}`;
    });
    const phase = (p: string) => page.waitForFunction((x) => document.querySelector('[data-testid=run-status]')?.textContent === x, p, { timeout: 120_000 });
    await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('[data-testid=train-start]')?.disabled, null, { timeout: 60_000 });
    await page.focus('[data-testid=train-start]');
    await page.keyboard.press('Enter');
    await phase('running');
    expect(await focused()).toBe('train-stop (ring)');
    await page.keyboard.press('Shift+Tab');
    expect(await focused()).toBe('train-pause (ring)');
    await page.keyboard.press('Enter');
    await phase('paused');
    expect(await focused()).toBe('train-resume (ring)');
    await page.keyboard.press('Enter');
    await phase('running');
    expect(await focused()).toBe('train-pause (ring)');
    await page.waitForFunction(() => (window as unknown as { __said: string[] }).__said.some((t) => /^Epoch \d+ of 20000 done: validation accuracy \d+\.\d percent\.$/.test(t)), null, { timeout: 60_000 })
      .catch(async (e: unknown) => { console.log(await page.evaluate(() => JSON.stringify([(window as unknown as { __said: string[] }).__said, document.querySelector('[data-testid=progress-text]')?.textContent]))); throw e; });
    await page.keyboard.press('Tab');
    expect(await focused()).toBe('train-stop (ring)');
    await page.keyboard.press('Enter');
    await phase('stopped');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'train-start');
    expect(await focused()).toBe('train-start (ring)');
    // a run to its end: focus comes back to Train
    await page.fill('[data-testid=epochs-input]', '1');
    await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('[data-testid=train-start]')?.disabled, null, { timeout: 60_000 });
    await page.focus('[data-testid=train-start]');
    await page.keyboard.press('Enter');
    await phase('done');
    await page.waitForFunction(() => document.activeElement?.getAttribute('data-testid') === 'train-start');
    expect(await focused()).toBe('train-start (ring)');
    const said = await page.evaluate(() => (window as unknown as { __said: string[] }).__said);
    expect(said[0]).toBe('Training started: 20000 epochs.');
    for (const t of ['Training paused.', 'Training resumed.', 'Training started: 1 epoch.']) expect(said).toContain(t);
    expect(said.some((t) => /^Training stopped after \d+ epochs?\.$/.test(t))).toBe(true);
    expect(said.some((t) => /^Training finished after 1 epoch: validation accuracy \d+\.\d percent\.$/.test(t))).toBe(true);
    expect(said.filter((t) => t.startsWith('Epoch ')).length).toBeLessThan(5);   // not every epoch of a fast run, never steps
    console.log(`announced: ${said.slice(0, 8).join(' | ')} … (${said.length})`);
    await s.context.close();
  }, 300_000);

  it('a diverged run: short distinct chart labels, nothing untrained to export; offline errors wrap; at 390 px the runs table keeps its column names; delete offers undo', async () => {
    const s = await tinyStudio(1);
    const { page } = s;
    await page.route(/^https?:\/\/(?!127\.0\.0\.1)/, (r) => r.abort('internetdisconnected'));   // offline
    await setField(page, 'learning rate', 1e9);
    await trainAndWait(page, ['diverged']);
    const ticks = (chart: string) => page.$$eval(`[data-testid=${chart}] .recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value`, (els) => els.map((e) => e.textContent ?? ''));
    for (const chart of ['chart-loss', 'chart-lr']) {
      await page.waitForFunction((c) => document.querySelectorAll(`[data-testid=${c}] .recharts-yAxis-tick-labels .recharts-cartesian-axis-tick-value`).length >= 2, chart, { timeout: 10_000 });
      const labels = await ticks(chart);
      console.log(`${chart} ticks: ${labels.join(' ')}`);
      expect(labels.length).toBeGreaterThanOrEqual(2);
      expect(new Set(labels).size).toBe(labels.length);
      for (const l of labels) expect(l).toMatch(/^-?(\d[\d,]*(\.\d+)?|\d(\.\d+)?e-?\d+)$/);
      for (const l of labels) expect(l.length).toBeLessThanOrEqual(7);
    }
    expect((await page.textContent('[data-testid=loss]'))!.length).toBeLessThanOrEqual(8);
    expect(await page.textContent('[data-testid=untrained]')).toMatch(/^This run diverged before its first epoch ended: .* Lower the learning rate \(it was 1000000000\) and train again\.$/);
    expect(await page.$('[data-testid=export-prompt]')).toBeNull();
    expect(await page.$('[data-testid=confusion]')).toBeNull();
    await screenshot(page, 'limits-diverged');
    // a catalogue model offline: the error wraps inside the Backbone panel
    const download = await page.$$eval('[data-testid=catalog-select] option', (os) => os.map((o) => (o as HTMLOptionElement).value).filter((v, i) => i > 0 && !/bundled/.test(os[i].textContent ?? '')));
    await page.selectOption('[data-testid=catalog-select]', download[0]);
    await page.waitForSelector('[data-testid=backbone-error]', { timeout: 60_000 });
    const fits = await page.evaluate(() => {
      const panel = document.querySelector('[data-testid=backbone-error]')!.closest('section')!;
      return { scroll: panel.scrollWidth, client: panel.clientWidth, text: document.querySelector('[data-testid=backbone-error]')!.textContent };
    });
    console.log(`offline: ${fits.text}`);
    expect(fits.scroll).toBeLessThanOrEqual(fits.client);
    await screenshot(page, 'limits-offline-1280');
    // phone width: every value of a run row sits under its column's name
    await page.setViewportSize({ width: 390, height: 844 });
    await page.waitForTimeout(300);
    const labels = await page.$$eval('[data-testid=run-row] td', (tds) => tds.map((td) => getComputedStyle(td, '::before').content.replace(/"/g, '')));
    expect(labels).toEqual(['compare', 'run', 'status', 'params', 'best val', 'final val', 'epochs', 'time', 's / epoch', 'actions']);
    expect(await page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'limits-runs-390');
    // delete acts at once and offers undo, which takes the focus (the row and its button are gone); undo brings it back
    await page.click('[data-testid=run-delete]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 0);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('data-testid'))).toBe('run-undo');
    expect(await axe(page)).toEqual([]);
    await screenshot(page, 'limits-deleted-390');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 1);
    await page.click('[data-testid=run-delete]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 0);
    await s.context.close();
  }, 300_000);

  it('an imported run shows its manifest\'s epochs and accuracy; an interrupted run opens before it is resumed', async () => {
    const s = await tinyStudio(2);
    let { page } = s;
    await trainAndWait(page, ['done']);
    const prompt = await downloadVia(page, 'export-prompt', 'limits');
    const manifest = await downloadVia(page, 'export-manifest', 'limits');
    await page.click('[data-testid=run-delete]');
    await page.waitForFunction(() => document.querySelectorAll('[data-testid=run-row]').length === 0);
    await page.setInputFiles('[data-testid=import-run]', [prompt, manifest]);
    await page.waitForFunction(() => /imported/.test(document.querySelector('[data-testid=run-row]')?.textContent ?? ''));
    const cells = await page.$$eval('[data-testid=run-row] td', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(cells[6]).toBe('2');                       // epochs
    expect(cells[5]).toMatch(/^\d+\.\d%$/);          // final val
    expect(await page.textContent('[data-testid=result-summary]')).toMatch(/final val acc \d+\.\d% · 2 epochs in/);
    // a long run whose page closes after an epoch: in the next page it is interrupted, and opens
    await page.fill('[data-testid=epochs-input]', '3000');
    await page.waitForFunction(() => !document.querySelector<HTMLButtonElement>('[data-testid=train-start]')?.disabled, null, { timeout: 60_000 });
    await page.click('[data-testid=train-start]');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid=progress-text]')?.textContent?.split('/')[0]) > 6, null, { timeout: 60_000 });
    await page.waitForTimeout(6000);   // the record and its checkpoint are written at most every 5 s
    await page.close({ runBeforeUnload: false });
    page = await s.context.newPage();
    await page.goto(`${baseUrl}/?debug&backend=wasm&preload=0`);
    await page.waitForFunction(() => /interrupted/.test(document.querySelector('[data-testid=runs]')?.textContent ?? ''), null, { timeout: 60_000 });
    const row = page.locator('[data-testid=run-row]', { hasText: 'interrupted' });
    await row.locator('[data-testid=run-open]').click();
    await page.waitForSelector('[data-testid=result-summary]');
    expect(await page.textContent('[data-testid=result-summary]')).toMatch(/^interrupted · final val acc \d+\.\d% · \d+ epochs? in/);
    expect(await row.locator('[data-testid=run-resume]').count()).toBe(1);
    await screenshot(page, 'limits-interrupted-open');
    await s.context.close();
  }, 300_000);
});
