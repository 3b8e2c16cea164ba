// Runs come back in: a run made by `vp-studio train` (its prompt.safetensors + manifest.json) imports into the
// studio, evaluates on the same folder to the CLI's own validation accuracy, and classifies a single image.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { trainCommand } from '../cli/train.ts';
import { FIX, ready, shapes } from './test-harness.ts';

describe('importing runs', () => {
  it('imports a CLI run, evaluates it to the CLI accuracy and classifies an image', async () => {
    const out = mkdtempSync(join(tmpdir(), 'vps-import-'));
    await trainCommand({
      model: join(FIX, 'tiny-vit.onnx'), data: join(FIX, 'shapes'), out, method: 'lorvp', head: 'lp', rank: '2', init: 'zero,normal', padWidth: '2',
      tokens: '2', mappingFreq: '1', epochs: '2', batchSize: '8', lr: '0.1', optimizer: 'sgd', momentum: '0.9', weightDecay: '0', scheduler: 'cosine',
      warmup: '0', mean: '0.5,0.5,0.5', std: '0.5,0.5,0.5', seed: '3', shuffle: true, augment: false, valFraction: '0.2', microBatch: '0', quiet: true,
    });
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    const s = await ready();
    await s.actions.importRun([
      { name: 'manifest.json', bytes: new Uint8Array(readFileSync(join(out, 'manifest.json'))) },
      { name: 'prompt.safetensors', bytes: new Uint8Array(readFileSync(join(out, 'prompt.safetensors'))) },
    ]);
    expect(s.store.getState().notice).toBe('imported: lorvp + lp run on tiny-vit.onnx'); // backbone and data are loaded: nothing to ask
    const files = [
      { name: 'manifest.json', bytes: new Uint8Array(readFileSync(join(out, 'manifest.json'))) },
      { name: 'prompt.safetensors', bytes: new Uint8Array(readFileSync(join(out, 'prompt.safetensors'))) },
    ];
    await s.actions.importRun(files);
    expect(s.store.getState().runs.filter((r) => r.name.endsWith('(imported)'))).toHaveLength(1); // not twice
    expect(s.store.getState().notice).toMatch(/^already imported/);
    // a manifest that contradicts its tensors is refused, naming both
    const lying = JSON.stringify({ ...manifest, settings: { ...manifest.settings, rank: 10000 } });
    await s.actions.importRun([{ name: 'manifest.json', bytes: new TextEncoder().encode(lying) }, files[1]]);
    expect(s.store.getState().notice).toMatch(/^import failed: prompt.safetensors: 'prompt.B' is \[3,16,2\] but manifest.json's settings \(lorvp, rank 10000/);
    const view = s.store.getState().view!;
    expect(view.record).toMatchObject({ status: 'done', cfg: { method: 'lorvp', rank: 2, epochs: 2 }, classes: ['a_circle', 'b_square', 'c_noise'], trainable: manifest.trainableParameters });
    expect(s.store.getState().runs.map((r) => r.id)).toContain(view.record.id);
    await s.actions.evaluateView();
    const ev = s.store.getState().view!.record.evaluation!;
    expect(ev.accuracy).toBeCloseTo(manifest.final.val_acc, 6);
    expect(ev.confusion.flat().reduce((a, b) => a + b, 0)).toBe(12);

    const img = shapes().find((f) => f.path.endsWith('val/b_square/000.png'))!;
    await s.actions.tryImage(img.blob);
    const t = s.store.getState().tryit;
    expect(t.status).toBe('ready');
    expect(t.probabilities).toHaveLength(3);
    expect(t.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    expect(t.preview?.size).toBe(16);
  });

  it('refuses an import without both files', async () => {
    const s = await ready();
    await s.actions.importRun([{ name: 'manifest.json', bytes: new Uint8Array(2) }]);
    expect(s.store.getState().notice).toMatch(/import failed: choose both prompt.safetensors and manifest.json/);
  });
});
