// The studio in a real browser (Debian Chromium; WebGPU = SwiftShader): load the tiny fixtures through the folder
// picker and file input, train LoR-VP on WebGPU and on wasm (same seed: the first losses must agree), VPT on
// WebGPU, pause/resume/stop, export the CLI's files and re-parse them (model.onnx re-scored in onnxruntime-node),
// reload and find the runs. Screenshots land in e2e/artifacts/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { decodeImage } from '../src/data/decode-node.ts';
import { readSafetensors } from '../src/io/safetensors.ts';
import { decodeModel } from '../src/onnx/codec.ts';
import { backendLabel, downloadVia, FIXTURES, launch, loadTiny, openStudio, screenshot, setField, snapshot, trainAndWait, type Studio } from './browser.ts';

const baseUrl = inject('baseUrl');
let browser: Browser;
const pages: Record<'webgpu' | 'wasm', Studio | undefined> = { webgpu: undefined, wasm: undefined };

async function setupRun(s: Studio, epochs: number): Promise<void> {
  await loadTiny(s.page);
  await s.page.selectOption('[data-testid=method-select]', 'lorvp');
  await s.page.selectOption('[data-testid=head-select]', 'lp');
  await s.page.fill('[data-testid=epochs-input]', String(epochs));
  await setField(s.page, 'batch size', 8);
  await setField(s.page, 'learning rate', 0.05);
  await setField(s.page, 'seed', 7);
  await s.page.waitForFunction(() => /435/.test(document.querySelector('[data-testid=trainable-count]')?.textContent ?? ''));
}

beforeAll(async () => { browser = await launch(); });
afterAll(async () => { await browser?.close(); });

describe.sequential('studio in Chromium', () => {
  it('trains LoR-VP on WebGPU (SwiftShader) with live metrics', async () => {
    const s = (pages.webgpu = await openStudio(browser, baseUrl, 'backend=webgpu&preload=0&ortlog=verbose'));
    expect(await backendLabel(s.page)).toMatch(/^webgpu \(.+\)$/);
    expect(await s.page.evaluate(() => crossOriginIsolated)).toBe(true);
    await setupRun(s, 2);
    const seconds = await trainAndWait(s.page);
    const snap = await snapshot(s.page);
    console.log(`webgpu: 6 steps + evaluation in ${seconds.toFixed(1)} s; losses read back at steps ${snap.steps.join(' ')}: ${snap.losses.map((l) => l.toFixed(6)).join(' ')}`);
    // the loss is read back from the GPU at most every 200 ms, and always on an epoch's last step (2, 5)
    expect(snap.steps[0]).toBe(0);
    expect(snap.steps).toEqual(expect.arrayContaining([2, 5]));
    expect(snap.steps.every((t, i) => i === 0 || t > snap.steps[i - 1])).toBe(true);
    expect(snap.backend).toBe('WebGPU');
    const val = Number(await s.page.textContent('[data-testid=val-acc]'));
    expect(val).toBeGreaterThanOrEqual(0);
    expect(val).toBeLessThanOrEqual(1);
    expect(await s.page.locator('[data-testid=chart-loss] .recharts-line path').count()).toBeGreaterThan(0);
    expect(await s.page.textContent('[data-testid=progress-text]')).toContain('6/6');
    await s.page.waitForSelector('[data-testid=prompt-picture] canvas');
    await screenshot(s.page, 'webgpu-lorvp');
    // every node of the train-step and eval graphs runs on the WebGPU EP (no CPU fallback, no copies)
    const placed = s.placements.map((l) => l.replace(/^.*?(All nodes|Node\(s\)|Node placements)/, '$1'));
    console.log(`placement: ${[...new Set(placed)].join(' | ')}`);
    expect(placed.filter((l) => l.startsWith('All nodes placed on [WebGpuExecutionProvider]')).length).toBeGreaterThanOrEqual(2);
    expect(placed.filter((l) => /CPUExecutionProvider/.test(l))).toEqual([]);
  });

  it('trains the same run on wasm; the first losses agree with WebGPU within 1e-4', async () => {
    const s = (pages.wasm = await openStudio(browser, baseUrl, 'backend=wasm&preload=0'));
    expect(await backendLabel(s.page)).toMatch(/^wasm — /);
    await setupRun(s, 2);
    await trainAndWait(s.page);
    const gpu = await snapshot(pages.webgpu!.page), cpu = await snapshot(s.page);
    // wasm reads every step's loss (host memory); compare on the steps WebGPU read back
    expect(cpu.steps).toEqual([0, 1, 2, 3, 4, 5]);
    const diffs = gpu.steps.map((t, i) => Math.abs(cpu.losses[t] - gpu.losses[i]));
    console.log(`wasm losses ${cpu.losses.map((l) => l.toFixed(6)).join(' ')}; max |Δ| ${Math.max(...diffs).toExponential(2)}`);
    for (const d of diffs.filter((_, i) => gpu.steps[i] <= 2)) expect(d).toBeLessThan(1e-4);
    expect(gpu.steps.map((t) => cpu.lrs[t])).toEqual(gpu.lrs);
    await screenshot(s.page, 'wasm-lorvp');
  });

  it('exports prompt.safetensors, manifest.json and model.onnx in the CLI formats', async () => {
    const { page } = pages.wasm!;
    const snap = await snapshot(page);
    const st = readSafetensors(new Uint8Array(readFileSync(await downloadVia(page, 'export-prompt', 'wasm'))));
    expect(Object.keys(st.tensors).sort()).toEqual(['head.bias', 'head.weight', 'prompt.A', 'prompt.B']);
    expect(st.tensors['prompt.B'].shape).toEqual([3, 16, 4]);
    expect(st.tensors['head.weight'].shape).toEqual(snap.params!['head.weight'].shape);
    expect(st.metadata).toMatchObject({ method: 'lorvp', head: 'lp', classes: JSON.stringify(['a_circle', 'b_square', 'c_noise']) });
    const m = JSON.parse(readFileSync(await downloadVia(page, 'export-manifest', 'wasm'), 'utf8'));
    expect(m).toMatchObject({ format: 'vp-studio-run/1', classes: ['a_circle', 'b_square', 'c_noise'], trainableParameters: 435, data: { train: 24, val: 12 } });
    expect(m.settings).toMatchObject({ method: 'lorvp', epochs: 2, batchSize: 8, seed: 7 });
    expect(m.backbone).toMatchObject({ file: 'tiny-vit.onnx', family: 'vit', inputSize: 16 });
    const bytes = readFileSync(await downloadVia(page, 'export-model', 'wasm'));
    const g = decodeModel(new Uint8Array(bytes));
    expect(g.outputs.map((o) => o.name)).toEqual(['logits']);
    expect(g.inputs.map((v) => v.shape)).toEqual([['N', 3, 16, 16]]);   // any batch
    // re-score the deployable model in onnxruntime-node on the validation folder, as one batch: the page's accuracy
    const session = await ort.InferenceSession.create(bytes);
    const classes = ['a_circle', 'b_square', 'c_noise'], files = ['000.png', '001.png', '002.png', '003.png'];
    const x = new Float32Array(12 * 3 * 16 * 16);
    for (const [label, cls] of classes.entries()) for (const [k, f] of files.entries()) {
      x.set((await decodeImage(new Uint8Array(readFileSync(join(FIXTURES, 'shapes/val', cls, f))))).data, (label * 4 + k) * 3 * 16 * 16);
    }
    const lg = (await session.run({ [session.inputNames[0]]: new ort.Tensor('float32', x, [12, 3, 16, 16]) }))[session.outputNames[0]].data as Float32Array;
    let correct = 0;
    for (let i = 0; i < 12; i++) { const row = Array.from(lg.subarray(3 * i, 3 * i + 3)); if (row.indexOf(Math.max(...row)) === Math.floor(i / 4)) correct++; }
    expect(correct / 12).toBeCloseTo(snap.evaluation!.accuracy, 6);
    // "try it" classifies one image with the same deployable model
    await page.setInputFiles('[data-testid=try-input]', join(FIXTURES, 'shapes/val/b_square/000.png'));
    await page.waitForSelector('[data-testid=try-result]');
    expect(await page.locator('[data-testid=try-result] tr').count()).toBe(3);
  });

  it('trains a pad prompt with iterative label mapping on wasm and shows the mapping', async () => {
    const { page } = pages.wasm!;
    await page.selectOption('[data-testid=method-select]', 'pad');
    await page.selectOption('[data-testid=head-select]', 'ilm');
    await setField(page, 'pad width p', 3);
    await page.fill('[data-testid=epochs-input]', '2');
    await page.waitForFunction(() => /prompt\.pad_up \[1×3×3×16\]/.test(document.querySelector('[data-testid=trainable-count]')?.textContent ?? ''));
    await trainAndWait(page);
    expect(await page.locator('[data-testid=mapping] tbody tr').count()).toBe(3);
    await page.waitForSelector('[data-testid=prompt-picture] canvas');
    await screenshot(page, 'wasm-pad-ilm');
    await page.selectOption('[data-testid=method-select]', 'lorvp');
    await page.selectOption('[data-testid=head-select]', 'lp');
  });

  it('pauses, resumes and stops a run', async () => {
    const { page } = pages.wasm!;
    await page.fill('[data-testid=epochs-input]', '300');
    await page.click('[data-testid=train-start]');
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'running'
      && /^([2-9]|\d\d+)\//.test(document.querySelector('[data-testid=progress-text]')?.textContent ?? ''), null, { timeout: 120_000 });
    await page.click('[data-testid=train-pause]', { force: true });
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'paused');
    const before = (await snapshot(page)).losses.length;
    await page.waitForTimeout(1500);
    expect((await snapshot(page)).losses.length).toBeLessThanOrEqual(before + 1);
    await screenshot(page, 'wasm-paused');
    await page.click('[data-testid=train-resume]', { force: true });
    await page.waitForFunction((n) => parseInt(document.querySelector('[data-testid=progress-text]')?.textContent ?? '0') > n + 1, before, { timeout: 120_000 });
    await page.click('[data-testid=train-stop]', { force: true });
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'stopped', null, { timeout: 120_000 });
    expect((await snapshot(page)).losses.length).toBeLessThan(900);
    // the stopped run is written before the page may go (until then it says "saving…" and asks before unloading)
    await page.waitForFunction(() => !document.querySelector('[data-testid=run-saving]') && /stopped/.test(document.querySelector('[data-testid=run-row]')?.textContent ?? ''));
  });

  it('finds the runs after a reload, exports a saved one and resumes the stopped one', async () => {
    const { page } = pages.wasm!;
    const first = readFileSync(join(import.meta.dirname, 'artifacts', 'wasm-prompt.safetensors'));
    await page.reload();
    await page.waitForSelector('[data-testid=run-row]');
    const rows = page.locator('[data-testid=run-row]');
    expect(await rows.count()).toBe(3);
    expect(await rows.nth(2).textContent()).toContain('done');
    await rows.nth(2).locator('button', { hasText: 'open' }).click();
    await page.waitForSelector('[data-testid=confusion]');
    const again = readFileSync(await downloadVia(page, 'export-prompt', 'reloaded'));
    expect(Buffer.compare(again, first)).toBe(0);
    await screenshot(page, 'wasm-reloaded');
    // the stopped run continues from its last checkpoint (backbone from the IndexedDB cache, data picked again)
    expect(await rows.nth(0).textContent()).toContain('stopped');
    await page.setInputFiles('[data-testid=dataset-input]', join(FIXTURES, 'shapes'));
    await page.waitForSelector('[data-testid=data-summary]');
    await rows.nth(0).locator('[data-testid=run-resume]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=run-status]')?.textContent === 'done', null, { timeout: 300_000 });
    await page.waitForFunction(() => /done/.test(document.querySelector('[data-testid=run-row]')?.textContent ?? ''));
    expect(await rows.count()).toBe(3);
    expect((await snapshot(page)).epochs).toHaveLength(300);
  });

  it('preloads the bundled demo data (and starter backbone) on a first visit: one click trains', async () => {
    const s = await openStudio(browser, baseUrl, '');
    // "auto" on SwiftShader (a software adapter) chooses wasm and says why
    expect(await backendLabel(s.page)).toMatch(/^wasm — the WebGPU adapter \(.*swiftshader.*\) is a software renderer/);
    await s.page.waitForFunction(() => /Fashion-MNIST.*10 classes, 2500 images/.test(document.querySelector('[data-testid=data-summary]')?.textContent ?? ''), null, { timeout: 180_000 });
    const starters: unknown[] = JSON.parse(readFileSync(join(import.meta.dirname, '../models/starters.json'), 'utf8'));
    if (starters.length > 0) {
      await s.page.waitForSelector('[data-testid=backbone-info]', { timeout: 120_000 });
      await s.page.fill('[data-testid=epochs-input]', '1');
      const seconds = await trainAndWait(s.page, ['done'], 600_000);
      console.log(`first visit: starter + demo data, 1 epoch on wasm in ${seconds.toFixed(1)} s, val acc ${await s.page.textContent('[data-testid=val-acc]')}`);
      // a confusion-matrix cell opens its misclassified images
      await s.page.locator('[data-testid=confusion] td', { hasText: /^[1-9]/ }).and(s.page.locator('td[style*="224, 49, 49"]')).first().click();
      // (the images are decoded and drawn asynchronously after the click)
      await s.page.waitForSelector('.misclassified img', { timeout: 60_000 });
      expect(await s.page.locator('.misclassified img').count()).toBeGreaterThan(0);
    } else {
      console.log('models/starters.json lists no starter yet: only the demo data was preloaded');
    }
    await screenshot(s.page, 'first-visit');
    await s.context.close();
  });

  it('trains VPT on WebGPU', async () => {
    const { page } = pages.webgpu!;
    await page.selectOption('[data-testid=method-select]', 'vpt');
    await page.fill('[data-testid=epochs-input]', '1');
    await page.waitForFunction(() => /prompt\.tokens/.test(document.querySelector('[data-testid=trainable-count]')?.textContent ?? ''));
    const seconds = await trainAndWait(page);
    console.log(`webgpu VPT: 3 steps + evaluation in ${seconds.toFixed(1)} s`);
    await page.waitForSelector('[data-testid=vpt-norms]');
    await screenshot(page, 'webgpu-vpt');
  });

  it('trains LoR-VP on a ResNet on WebGPU: the flipped-kernel Conv input gradients run on the WebGPU EP', async () => {
    const s = pages.webgpu!;
    const from = s.placements.length;
    await s.page.setInputFiles('[data-testid=model-input]', join(FIXTURES, 'tiny-resnet.onnx'));
    await s.page.waitForFunction(() => {
      const w: { __studio?: { store: { getState(): { backbone: { status: string; name?: string } } } } } = window as never;
      const b = w.__studio!.store.getState().backbone;
      return b.status === 'ready' && b.name === 'tiny-resnet.onnx';
    }, null, { timeout: 120_000 });
    await s.page.selectOption('[data-testid=method-select]', 'lorvp');
    await s.page.fill('[data-testid=epochs-input]', '1');
    const seconds = await trainAndWait(s.page);
    const snap = await snapshot(s.page);
    console.log(`webgpu ResNet LoR-VP: 3 steps + evaluation in ${seconds.toFixed(1)} s; losses ${snap.losses.map((l) => l.toFixed(6)).join(' ')}`);
    expect(snap.losses.every((l) => Number.isFinite(l))).toBe(true);
    const placed = s.placements.slice(from).map((l) => l.replace(/^.*?(All nodes|Node\(s\)|Node placements)/, '$1'));
    expect(placed.filter((l) => l.startsWith('All nodes placed on [WebGpuExecutionProvider]')).length).toBeGreaterThanOrEqual(2);
    expect(placed.filter((l) => /CPUExecutionProvider/.test(l))).toEqual([]);
  });
});
