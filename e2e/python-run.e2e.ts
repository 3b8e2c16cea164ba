// A run trained in PyTorch imports into the studio (issue 18, acceptance c): `python -m vp_studio.train` trains
// LoR-VP + lp on a tiny torchvision ViT (python/tests/tiny.py) over the shapes folder, and the studio's "import a
// run" takes its prompt.safetensors + manifest.json: the run lists as imported with the Python run's epochs and final
// validation accuracy, opens with them, and, with the Python run's backbone.onnx and the folder loaded, evaluates to
// that accuracy. (A run written with --no-export is refused in one line: no ONNX file identifies its backbone.)
// Continue anywhere: a PyTorch job stopped after epoch 2 of 4 (--stop-after) imports as its checkpoint.safetensors
// alone, resumes in the browser on the same backbone and folder, and ends where one uninterrupted PyTorch run ends;
// Results then downloads the run's own checkpoint.safetensors, at epoch 4.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULTS, type TrainConfig } from '../src/engine/config.ts';
import { decodeCheckpoint } from '../src/engine/checkpoint-file.ts';
import { readSafetensors } from '../src/io/safetensors.ts';
import { downloadVia, FIXTURES, launch, openStudio, screenshot } from './browser.ts';

const baseUrl = inject('baseUrl');
const REPO = resolve(import.meta.dirname, '..');
const PYTHON = process.env.PYTHON ?? '/usr/bin/python3';
let browser: Browser;
let tmp: string;
beforeAll(async () => { browser = await launch(); tmp = mkdtempSync(join(tmpdir(), 'vp-python-run-')); });
afterAll(async () => { await browser?.close(); rmSync(tmp, { recursive: true, force: true }); });

/** Trains the configuration `settings` at input size L with vp_studio.train on `model`; returns the run folder. */
function trainInPython(settings: TrainConfig, L: number, model: string, name = 'run', ...more: string[]): string {
  const like = join(tmp, 'like'), out = join(tmp, name);
  mkdirSync(like, { recursive: true });
  writeFileSync(join(like, 'manifest.json'), JSON.stringify({ format: 'vp-studio-run/1', settings, preprocessing: { inputSize: L, mean: settings.mean, std: settings.std } }));
  const r = spawnSync(PYTHON, ['-m', 'vp_studio.train', '--like', like, '--model', model, '--data', join(FIXTURES, 'shapes'), '--out', out, '--quiet', ...more], {
    cwd: REPO, encoding: 'utf8', timeout: 300_000, env: { ...process.env, PYTHONPATH: [join(REPO, 'python'), join(REPO, 'python/tests')].join(':') },
  });
  if (r.status !== 0) throw new Error(`vp_studio.train exited ${r.status}: ${r.stderr}`);
  return out;
}

describe('a run trained in Python', () => {
  it('imports into the studio with its epochs and final validation accuracy', async () => {
    const settings: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp', rank: 2, init: 'zero,normal', epochs: 3, batchSize: 8, lr: 0.05, seed: 7, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
    const run = trainInPython(settings, 16, 'tiny:tv_vit');
    const m = JSON.parse(readFileSync(join(run, 'manifest.json'), 'utf8')) as { final: { epoch: number; val_acc: number; steps: number }; classes: string[]; backend: string; backbone: Record<string, unknown> };
    expect(m.classes).toEqual(['a_circle', 'b_square', 'c_noise']);
    expect(m.backend).toMatch(/^pytorch cpu/);
    expect(m.backbone).toMatchObject({ file: 'backbone.onnx', family: 'vit', inputSize: 16, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    expect(m.final.epoch).toBe(2);   // epochs count from 0, as the CLI's
    expect(m.final.val_acc).toBeGreaterThanOrEqual(0);
    const metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
    expect(metrics.filter((l) => 'val_acc' in l).map((l) => l.epoch)).toEqual([0, 1, 2]);
    const acc = `${(m.final.val_acc * 100).toFixed(1)}%`;

    const s = await openStudio(browser, baseUrl, 'backend=wasm&preload=0', { width: 1280, height: 900 });
    const { page } = s;
    await page.setInputFiles('[data-testid=import-run]', [join(run, 'prompt.safetensors'), join(run, 'manifest.json')]);
    await page.waitForFunction(() => /imported/.test(document.querySelector('[data-testid=run-row]')?.textContent ?? ''));
    const row = await page.textContent('[data-testid=run-row]');
    expect(row).toContain('lorvp + lp');
    const cells = await page.$$eval('[data-testid=run-row] td', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(cells[6]).toBe('3');   // epochs
    expect(cells[5]).toBe(acc);   // final val
    expect(await page.textContent('[data-testid=result-summary]')).toContain(`final val acc ${acc} · 3 epochs in`);
    // with the run's backbone (the Python run's backbone.onnx) and the same folder loaded, the studio scores the
    // imported prompt on the validation images to the Python run's own accuracy
    await page.setInputFiles('[data-testid=model-input]', join(run, 'backbone.onnx'));
    await page.setInputFiles('[data-testid=dataset-input]', join(FIXTURES, 'shapes'));
    await page.waitForSelector('[data-testid=data-summary]', { timeout: 120_000 });
    await page.waitForSelector('[data-testid=backbone-info]', { timeout: 120_000 });
    await page.click('[data-testid=evaluate]');
    await page.waitForSelector('[data-testid=confusion]', { timeout: 120_000 });
    const counts = await page.$$eval('[data-testid=confusion] button.cell', (bs) => bs.map((b) => (b.getAttribute('aria-label') ?? '').match(/^(\S+) predicted as (\S+): (\d+)$/)!.slice(1)));
    const total = counts.reduce((a, [, , v]) => a + Number(v), 0), right = counts.reduce((a, [t, p, v]) => a + (t === p ? Number(v) : 0), 0);
    console.log(`Python run: val acc ${m.final.val_acc}; the studio's evaluation of the imported prompt: ${right}/${total}`);
    expect(total).toBe(12);
    expect(right / total).toBeCloseTo(m.final.val_acc, 6);
    await screenshot(page, 'python-run-imported');
    await s.context.close();
  }, 600_000);

  it('a PyTorch job stopped after epoch 2 of 4 resumes in the browser from its checkpoint.safetensors and ends where one run ends', async () => {
    const settings: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp', rank: 2, init: 'normal,normal', epochs: 4, batchSize: 8, lr: 0.05, optimizer: 'adamw', seed: 5, mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] };
    const whole = trainInPython(settings, 16, 'tiny:tv_vit', 'whole');
    const cut = trainInPython(settings, 16, 'tiny:tv_vit', 'cut', '--onnx', join(whole, 'backbone.onnx'), '--stop-after', '2');
    const want = JSON.parse(readFileSync(join(whole, 'manifest.json'), 'utf8')) as { final: { val_acc: number } };
    const s = await openStudio(browser, baseUrl, 'backend=wasm&preload=0', { width: 1280, height: 900 });
    const { page } = s;
    await page.setInputFiles('[data-testid=model-input]', join(whole, 'backbone.onnx'));
    await page.setInputFiles('[data-testid=dataset-input]', join(FIXTURES, 'shapes'));
    await page.waitForSelector('[data-testid=data-summary]', { timeout: 120_000 });
    await page.waitForSelector('[data-testid=backbone-info]', { timeout: 120_000 });
    await page.setInputFiles('[data-testid=import-run]', join(cut, 'checkpoint.safetensors'));
    await page.waitForFunction(() => /imported/.test(document.querySelector('[data-testid=run-row]')?.textContent ?? ''));
    expect(await page.textContent('[data-testid=notice]')).toContain('after epoch 2 of 4 — resume it from Saved runs');
    const row = page.locator('[data-testid=run-row]').first();
    expect(await row.locator('td[data-label=status]').textContent()).toBe('stopped');
    expect(await row.locator('td[data-label=epochs]').textContent()).toBe('2');
    await screenshot(page, 'python-checkpoint-imported');
    await row.locator('[data-testid=run-resume]').click();
    await page.waitForFunction(() => document.querySelector('[data-testid=run-row] td[data-label=status]')?.textContent === 'done', undefined, { timeout: 300_000 });
    const cells = await page.$$eval('[data-testid=run-row] td', (tds) => tds.map((td) => td.textContent ?? ''));
    expect(cells[6]).toBe('4');
    expect(cells[5]).toBe(`${(want.final.val_acc * 100).toFixed(1)}%`);
    await page.locator('[data-testid=run-row]').first().locator('[data-testid=run-open]').click();
    const ck = decodeCheckpoint(new Uint8Array(readFileSync(await downloadVia(page, 'export-checkpoint', 'python-resumed'))));
    expect(ck.meta.epoch).toBe(4);
    expect(ck.meta.epochs.map((e) => e.epoch)).toEqual([0, 1, 2, 3]);
    const got = readSafetensors(new Uint8Array(readFileSync(await downloadVia(page, 'export-prompt', 'python-resumed')))).tensors;
    const ref = readSafetensors(new Uint8Array(readFileSync(join(whole, 'prompt.safetensors')))).tensors;
    let worst = 0;
    for (const k of Object.keys(ref)) (ref[k].data as Float32Array).forEach((v, i) => { worst = Math.max(worst, Math.abs(v - (got[k].data as Float32Array)[i])); });
    console.log(`PyTorch epochs 1–2 + browser epochs 3–4 vs one PyTorch run: tensors within ${worst.toExponential(2)}`);
    expect(worst).toBeLessThanOrEqual(1e-4);
    await screenshot(page, 'python-checkpoint-resumed');
    await s.context.close();
  }, 600_000);
});
