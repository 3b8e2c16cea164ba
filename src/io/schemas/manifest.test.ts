// The run files' schemas: a manifest.json and checkpoint.json as the CLI writes them pass (unknown fields kept,
// later fields defaulted for older runs); every malformed case the issue names ends in one line naming the field.
import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../file-error.ts';
import { readJson } from '../json.ts';
import { checkpointSchema, readManifestJson } from './manifest.ts';
import { sampleCheckpoint, sampleManifest } from './test-samples.ts';

const fail = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(FileFormatError); return (e as Error).message; } throw new Error('no error'); };
const text = (o: unknown) => JSON.stringify(o);

describe('manifest.json', () => {
  it('reads a manifest as the CLI writes it, keeping unknown fields', () => {
    const m = readManifestJson(text({ ...sampleManifest(), python: { torch: '2.4' } }));
    expect(m).toEqual({ ...sampleManifest(), python: { torch: '2.4' } });
  });
  it('fills fields that older runs did not write with the defaults they trained with', () => {
    const m = sampleManifest() as unknown as Record<string, Record<string, unknown>>;
    delete m.settings.promptLr; delete m.settings.microBatch; delete m.versions; delete m.final;
    const r = readManifestJson(text(m));
    expect([r.settings.promptLr, r.settings.microBatch, r.versions, r.final]).toEqual([0, 0, {}, {}]);
  });
  it.each([
    ['[]', 'manifest.json: must be an object, got []'],
    ['{"method":"lorvp"}', "manifest.json: field 'format' is missing"],
    [text({ ...sampleManifest(), format: 'vp-studio-run/2' }), 'manifest.json: field \'format\' must be "vp-studio-run/1", got "vp-studio-run/2"'],
    [text({ ...sampleManifest(), classes: 'cat,dog' }), "manifest.json: field 'classes' must be an array of class names, got \"cat,dog\""],
    [text({ ...sampleManifest(), classes: [] }), "manifest.json: field 'classes' must be at least one class name, got []"],
    [text({ ...sampleManifest(), settings: { ...sampleManifest().settings, rank: '4' } }), "manifest.json: field 'settings.rank' must be a positive integer, got \"4\""],
    [text({ ...sampleManifest(), settings: { ...sampleManifest().settings, method: 'lora' } }), "manifest.json: field 'settings.method' must be one of lorvp, pad, vpt, vpt-deep, none, got \"lora\""],
    [text({ ...sampleManifest(), settings: { ...sampleManifest().settings, mean: [0.5, 0.5] } }), "manifest.json: field 'settings.mean' must be 3 numbers, got [0.5,0.5]"],
    [text({ ...sampleManifest(), backbone: { ...sampleManifest().backbone, path: 7 } }), "manifest.json: field 'backbone.path' must be a string, got 7"],
    [text({ ...sampleManifest(), backbone: { ...sampleManifest().backbone, sha256: null } }), "manifest.json: field 'backbone.sha256' must be the sha256 of the backbone's ONNX file (a PyTorch run trained with --no-export has none: train it with --onnx FILE, or without --no-export), got null"],
    [text({ ...sampleManifest(), data: { train: 1, val: 1, skipped: [{ path: 1 }] } }), "manifest.json: field 'data.skipped[0].path' must be a string, got 1"],
  ])('refuses %s in one line', (input, message) => {
    expect(fail(() => readManifestJson(input))).toBe(message);
  });
  it('a __proto__ key pollutes nothing', () => {
    const m = readManifestJson(text(sampleManifest()).replace('{', '{"__proto__":{"polluted":1},').replace('"settings":{', '"settings":{"__proto__":{"rank":"x"},'));
    expect(m.settings.rank).toBe(2);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('checkpoint.json', () => {
  const read = (o: unknown) => readJson(checkpointSchema, text(o), 'checkpoint.json');
  it('reads a checkpoint as the CLI writes it', () => {
    expect(read(sampleCheckpoint())).toEqual(sampleCheckpoint());
  });
  it.each([
    [{ ...sampleCheckpoint(), rngState: [1, 2, 3] }, "checkpoint.json: field 'rngState' must be an array of 4 integers, got [1,2,3]"],
    [{ ...sampleCheckpoint(), epoch: -1 }, "checkpoint.json: field 'epoch' must be a non-negative integer, got -1"],
    [{ ...sampleCheckpoint(), flags: { ...sampleCheckpoint().flags, rank: [4] } }, "checkpoint.json: field 'flags.rank' must be a string, got [4]"],
    [{ ...sampleCheckpoint(), flags: { model: 'm.onnx' } }, "checkpoint.json: field 'flags.data' is missing"],
    [{ ...sampleCheckpoint(), epochs: [{ epoch: 'one' }] }, "checkpoint.json: field 'epochs[0].epoch' must be a non-negative integer, got \"one\""],
  ])('refuses a malformed checkpoint in one line (%#)', (input, message) => {
    expect(fail(() => read(input))).toBe(message);
  });
});
