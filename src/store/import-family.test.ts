// recordFromManifest keeps the backbone family a manifest names — Swin included (the engine's family for shifted-
// window models) — and reads any other value as unknown.
import { describe, expect, it } from 'vitest';
import { sampleManifest } from '../io/schemas/test-samples.ts';
import { recordFromManifest } from './imports.ts';

describe('an imported run keeps its backbone family', () => {
  it.each([['swin', 'swin'], ['vit', 'vit'], ['resnet', 'resnet'], ['cnn', 'cnn'], ['transformer', 'unknown']])('%s → %s', (given, want) => {
    const m = sampleManifest();
    const r = recordFromManifest({ ...m, backbone: { ...m.backbone, family: given } }, 'id', '2026-12-07T00:00:00.000Z', 10);
    expect(r.backbone.info.family).toBe(want);
  });
});
