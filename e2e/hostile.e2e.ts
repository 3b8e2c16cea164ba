// Hostile files in the real studio (Debian Chromium, wasm backend): after a trained run is saved, a corrupted
// IndexedDB record is reported once and skipped while the run still lists; a corrupted run import (a manifest of
// the wrong shape) and a hostile model (truncated) give one message each, in one line of the studio's own words;
// nothing else is lost — the saved run, the working backbone and the loaded data stay.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { writeSafetensors } from '../src/io/safetensors.ts';
import { FIXTURES, launch, loadTiny, openStudio, screenshot, setField, trainAndWait } from './browser.ts';

const baseUrl = inject('baseUrl');
let browser: Browser;

beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

const text = async (page: Page, id: string) => (await page.textContent(`[data-testid=${id}]`))?.trim() ?? '';
const rows = (page: Page) => page.locator('[data-testid=run-row]').count();
/** What the store says now: the notice, the backbone's name / sha256 / error, the data's classes. */
const state = (page: Page) => page.evaluate(() => {
  type S = { notice?: string; backbone: { name?: string; sha256?: string; error?: string; status: string }; data: { summary?: { classes: string[] } }; runs: { id: string }[] };
  const s = (window as unknown as { __studio: { store: { getState(): S } } }).__studio.store.getState();
  return { notice: s.notice, backbone: { name: s.backbone.name, sha256: s.backbone.sha256, error: s.backbone.error, status: s.backbone.status }, classes: s.data.summary?.classes, runs: s.runs.map((r) => r.id) };
});

describe.sequential('hostile files in Chromium', () => {
  it('a corrupted stored run, a corrupted import and a hostile model: one message each, nothing else lost', async () => {
    const s = await openStudio(browser, baseUrl, 'backend=wasm&preload=0');
    const { page } = s;
    await loadTiny(page);
    await page.fill('[data-testid=epochs-input]', '1');
    await setField(page, 'batch size', 8);
    await trainAndWait(page);
    expect(await rows(page)).toBe(1);

    // a run record cut short in IndexedDB, beside the good one; then a reload
    await page.evaluate(() => new Promise<void>((resolve, reject) => {
      const open = indexedDB.open('vp-studio');
      open.onsuccess = () => {
        const tx = open.result.transaction('kv', 'readwrite');
        tx.objectStore('kv').put({ id: 'cut', name: 'cut short', created: '2099-01-01', status: 'done', cfg: { method: 'lorvp' } }, 'vps/v1/run/cut');
        tx.oncomplete = () => { open.result.close(); resolve(); };
        tx.onerror = () => reject(tx.error);
      };
      open.onerror = () => reject(open.error);
    }));
    await page.reload();
    await page.waitForSelector('[data-testid=notice]');
    expect(await text(page, 'notice')).toBe("skipped a saved run that could not be read: saved run 'cut': field 'cfg.head' is missing dismiss");
    expect(await rows(page)).toBe(1);
    await page.click('[data-testid=notice] button');

    await loadTiny(page);
    const before = await state(page);
    expect(before.backbone).toMatchObject({ name: 'tiny-vit.onnx', status: 'ready', error: undefined });

    // a corrupted run import: one notice, no run added
    const prompt = Buffer.from(writeSafetensors({ 'head.bias': { dtype: 'float32', shape: [3], data: new Float32Array(3) } }));
    await page.setInputFiles('[data-testid=import-run]', [
      { name: 'prompt.safetensors', mimeType: 'application/octet-stream', buffer: prompt },
      { name: 'manifest.json', mimeType: 'application/json', buffer: Buffer.from('{"method":"lorvp","__proto__":{"format":"vp-studio-run/1"}}') },
    ]);
    await page.waitForFunction(() => /import failed/.test(document.querySelector('[data-testid=notice]')?.textContent ?? ''));
    expect(await text(page, 'notice')).toBe("import failed: manifest.json: field 'format' is missing dismiss");
    expect(await rows(page)).toBe(1);

    // a hostile model (truncated): one line under the backbone, which is still the working one
    const vit = readFileSync(join(FIXTURES, 'tiny-vit.onnx'));
    await page.setInputFiles('[data-testid=model-input]', { name: 'cut.onnx', mimeType: 'application/octet-stream', buffer: vit.subarray(0, vit.length >> 1) });
    await page.waitForSelector('[data-testid=backbone-error]');
    expect(await text(page, 'backbone-error')).toMatch(/^cannot use cut\.onnx: not a valid ONNX model \([^)\n]+\) — still using tiny-vit\.onnx$/);
    const after = await state(page);
    expect(after.backbone).toMatchObject({ name: 'tiny-vit.onnx', sha256: before.backbone.sha256, status: 'ready' });
    expect(after.classes).toEqual(before.classes);
    expect(after.runs).toEqual(before.runs);
    expect(await page.locator('[data-testid=notice], [data-testid=backbone-error], [role=alert]').count()).toBe(2);
    expect(s.logs.filter((l) => /pageerror|Uncaught/.test(l))).toEqual([]);
    await screenshot(page, 'hostile');
    await s.context.close();
  });
});
