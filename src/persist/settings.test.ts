// The saved form comes back as it was saved, and what a stale version or a hand edit broke is left out field by
// field (the form's defaults stand for it) rather than reaching the form.
import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../engine/config.ts';
import { localSettings, readSavedSettings, type SavedSettings } from './settings.ts';

const storage = () => { const m = new Map<string, string>(); return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) }; };

describe('saved settings', () => {
  it('read back as saved: every setting, the budget, the backbone and the data source', () => {
    const s = localSettings(storage());
    const saved: SavedSettings = { version: 1, cfg: { ...DEFAULTS, method: 'vpt-deep', lr: 0.125, mean: [0.1, 0.2, 0.3] }, gpuBudgetMiB: 1024,
      backbone: { name: 'vit.onnx', sha256: 'ab'.repeat(32), url: 'https://example.org/vit.onnx', inputSize: 224 }, data: { kind: 'folder', name: 'pets' } };
    s.save(saved);
    expect(s.load()).toEqual(saved);
  });
  it('leaves out what fails its check and keeps the rest', () => {
    const text = JSON.stringify({ version: 1, cfg: { ...DEFAULTS, lr: 'fast', batchSize: -3, method: 'lora', epochs: 7, constructor: 1 }, gpuBudgetMiB: 'x', backbone: { name: 1 }, data: { kind: 'demo' } });
    const got = readSavedSettings(text)!;
    expect(got.cfg).toEqual(Object.fromEntries(Object.entries({ ...DEFAULTS, epochs: 7 }).filter(([k]) => !['lr', 'batchSize', 'method'].includes(k))));
    expect([got.gpuBudgetMiB, got.backbone, got.data]).toEqual([undefined, undefined, { kind: 'demo' }]);
  });
  it.each(['', 'null', '[]', '{"version":2,"cfg":{}}', '{"version":1}', '{"version":1,"cfg":[]}', '{"version":1,"cfg":{', '['.repeat(500)])('%s is no saved form', (text) => {
    expect(readSavedSettings(text)).toBeUndefined();
  });
});
