// Catalogue parsing (the shapes models/catalog.json and starters.json take) and the normalisation guess.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BackboneInfo } from '../engine/compile.ts';
import { HALF, IMAGENET, parseCatalog, suggestNormalisation } from './catalog.ts';

const info = (family: BackboneInfo['family']): BackboneInfo => ({ family, inputName: 'x', inputSize: 32, fixedBatch: undefined, numSourceClasses: 10, featureWidth: 8, featureSource: undefined, loadNotes: [], inputSizeFixed: true, vit: undefined, params: 1 });

describe('catalogue', () => {
  it('reads models/catalog.json: downloadable entries with their statistics and mirrors', () => {
    const raw: unknown = JSON.parse(readFileSync(join(import.meta.dirname, '../../models/catalog.json'), 'utf8'));
    const entries = parseCatalog(raw, '/models/', false);
    expect(entries.length).toBeGreaterThan(0);
    for (const e of entries) {
      expect(e.url).toMatch(/^(https:\/\/|\/models\/)/);
      expect(e.bundled).toBe(!e.url.startsWith('https:'));
      expect(e.mean).toHaveLength(3);
    }
  });

  it('accepts a list, {starters: [...]} or a record, and resolves bundled files against the base', () => {
    const e = { name: 'Starter', file: 'starter-vit.onnx', mean: [0.4914, 0.4822, 0.4465], std: [0.247, 0.2435, 0.2616], sha256: 'ab', classes: ['airplane'] };
    for (const raw of [[e], { starters: [e] }, { vit: e }]) {
      const [p] = parseCatalog(raw, '/models/', true);
      expect(p).toMatchObject({ url: '/models/starter-vit.onnx', bundled: true, name: 'Starter', classes: ['airplane'], sha256: 'ab' });
    }
    expect(parseCatalog({ models: [{ path: 'models/x.onnx', source: 'bundled' }] }, '/models/', false)[0]).toMatchObject({ url: '/models/x.onnx', bundled: true });
    expect(parseCatalog([{ name: 'no file' }], '/models/', true)).toEqual([]);
  });

  it('guesses normalisation: a catalogue match, then the family', () => {
    const cat = parseCatalog([{ file: 'starter-resnet.onnx', mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6], sha256: 'cafe' }], '/models/', true);
    expect(suggestNormalisation(info('resnet'), 'cafe', 'renamed.onnx', cat)).toMatchObject({ mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6] });
    expect(suggestNormalisation(info('resnet'), 'other', 'x.onnx', cat, '/models/starter-resnet.onnx').mean).toEqual([0.1, 0.2, 0.3]);
    // never by file name: hub files are all model.onnx (a ViT must not get a ResNet's statistics)
    const hub = parseCatalog([{ url: 'https://h/resnet/model.onnx', mean: [0.1, 0.2, 0.3], std: [0.4, 0.5, 0.6] }], '/models/', false);
    expect(suggestNormalisation(info('vit'), 'other', 'model.onnx', hub, 'https://h/vit/model.onnx')).toEqual(HALF);
    expect(suggestNormalisation(info('resnet'), 'other', 'mine.onnx', cat)).toEqual(IMAGENET);
    expect(suggestNormalisation(info('vit'), 'other', 'mine.onnx', cat)).toEqual(HALF);
  });
});
