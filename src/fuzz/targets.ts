// Every reader of a file from outside, as a fuzz target with valid seeds: the ONNX codec (with external data, whose
// locations must stay confined) and the protobuf peek, safetensors, .npy, BMP, the Node image decoder (sharp), and
// the JSON files — manifest.json, checkpoint.json, config.json, preprocessor_config.json, models/catalog.json and
// the studio's stored run records. Shared by fuzz.test.ts (a short seeded run) and scripts/fuzz.ts (long runs).
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeBmp } from '../data/bmp.ts';
import { decodeImage } from '../data/decode-node.ts';
import { encodeBmp, encodePng } from '../data/test-images-node.ts';
import { parseModelMeta } from '../engine/model-meta.ts';
import { parseJson, readJson } from '../io/json.ts';
import { readCatalogJson } from '../io/schemas/catalog.ts';
import { checkRunRecord } from '../persist/records.ts';
import { parseCatalog } from '../store/catalog.ts';
import { readNpy } from '../io/npy.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { checkpointSchema, readManifestJson } from '../io/schemas/manifest.ts';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointMeta } from '../engine/checkpoint-file.ts';
import { DEFAULTS } from '../engine/config.ts';
import { FileFormatError } from '../io/file-error.ts';
import { readSavedSettings } from '../persist/settings.ts';
import { packIndexSchema } from '../io/schemas/studio.ts';
import { sampleCheckpoint, sampleConfig, sampleManifest, samplePreprocessor, sampleRunRecord } from '../io/schemas/test-samples.ts';
import { decodeModel, encodeSplit } from '../onnx/codec.ts';
import { filesResolver } from '../onnx/external.ts';
import { Graph } from '../onnx/ir.ts';
import { externalLocations, outputNames } from '../onnx/peek.ts';
import { elementwiseModel } from '../onnx/tiny.ts';
import type { FuzzTarget } from './harness.ts';

const REPO = join(import.meta.dirname, '../..');
const text = (b: Uint8Array) => new TextDecoder().decode(b);

/** A small graph with two initializers, split so both live in data files (`weights.0.bin`). */
function splitModel() {
  const g = new Graph();
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [1, 4];
  g.inputs.push(x);
  const w = g.addInitializer('w', { dtype: 'float32', shape: [4, 4], data: Float32Array.from({ length: 16 }, (_, i) => i / 16) }, true);
  const b = g.addInitializer('b', { dtype: 'float32', shape: [4], data: new Float32Array(4).fill(0.5) }, true);
  const y = g.value('y'); y.dtype = 'float32'; y.shape = [1, 4];
  g.addNode('Gemm', [x, w, b], [y]);
  g.outputs.push(y);
  return encodeSplit(g, { minBytes: 1 });
}

const split = splitModel();
const onnxSeeds = async () => ({
  kind: 'bytes' as const,
  values: [readFileSync(join(REPO, 'tests/fixtures/train/backbones/resnet.onnx')), elementwiseModel('Add', [{ dtype: 'float32', shape: [1, 3] }]), split.model].map((b) => new Uint8Array(b)),
});

const refuse = (line: string): never => { throw new FileFormatError(line); };
const jsonTarget = (name: string, seeds: () => unknown[], read: (b: Uint8Array) => unknown): FuzzTarget => ({
  name, read, timeLimitMs: 1000, seeds: async () => ({ kind: 'json', values: seeds() }),
});

export const TARGETS: FuzzTarget[] = [
  { name: 'onnx codec', seeds: onnxSeeds, read: (b) => decodeModel(b, { external: filesResolver(split.externalData) }) },
  { name: 'onnx codec (structural)', mutate: 'onnx', seeds: onnxSeeds, read: (b) => decodeModel(b, { external: filesResolver(split.externalData) }) },
  { name: 'onnx peek', seeds: onnxSeeds, read: (b) => [outputNames(b), externalLocations(b)] },
  {
    name: 'safetensors',
    seeds: async () => ({ kind: 'bytes', values: [
      writeSafetensors({ 'prompt.B': { dtype: 'float32', shape: [3, 8, 2], data: new Float32Array(48).fill(0.25) }, mapping: { dtype: 'int32', shape: [3], data: Int32Array.of(2, 0, 1) } }, { method: 'lorvp', classes: '["a","b","c"]' }),
      writeSafetensors({ h: { dtype: 'float16', shape: [2, 2], data: new Uint16Array(4) }, i: { dtype: 'int64', shape: [1], data: BigInt64Array.of(7n) } }),
    ] }),
    read: (b) => readSafetensors(b),
  },
  {
    name: 'checkpoint.safetensors',
    seeds: async () => ({ kind: 'bytes', values: [
      encodeCheckpoint({ tensors: { 'prompt.B': { shape: [3, 4, 2], data: new Float32Array(24).fill(0.5) }, 'state.prompt.B.buf': { shape: [3, 4, 2], data: new Float32Array(24) } }, mapping: [2, 0, 1] },
        { ...(sampleCheckpoint() as unknown as CheckpointMeta), classes: ['a', 'b', 'c'], backbone: { file: 'm.onnx', sha256: 'ab'.repeat(32), family: 'vit', inputSize: 4 }, data: { train: 9, val: 3 } }),
    ] }),
    read: (b) => decodeCheckpoint(b),
  },
  {
    name: 'npy',
    seeds: async () => { const dir = join(REPO, 'src/io/testdata'); return { kind: 'bytes', values: readdirSync(dir).map((f) => new Uint8Array(readFileSync(join(dir, f)))) }; },
    read: (b) => readNpy(b),
  },
  {
    name: 'bmp',
    seeds: async () => ({ kind: 'bytes', values: [
      encodeBmp({ width: 5, height: 3, bpp: 24, rows: Array.from({ length: 3 }, (_, y) => Array.from({ length: 15 }, (_, i) => (i * 17 + y) & 255)) }),
      encodeBmp({ width: 9, height: 2, bpp: 4, rows: [[0x01, 0x23, 0x45, 0x67, 0x80], [0xfe, 0xdc, 0xba, 0x98, 0x70]], palette: Array.from({ length: 16 }, (_, i) => [i * 16, 255 - i * 16, i] as [number, number, number]), topDown: true }),
      encodeBmp({ width: 3, height: 2, bpp: 16, rows: [[0, 0x7c, 0xe0, 0x03, 0x1f, 0], [0xff, 0x7f, 0, 0, 0x10, 0x42]], masks: [0x7c00, 0x03e0, 0x001f], compression: 3 }),
    ] }),
    read: (b) => decodeBmp(b),
  },
  {
    name: 'image decode (node)',
    timeLimitMs: 5000,
    seeds: async () => {
      const png = encodePng(6, 4, 2, 8, Array.from({ length: 72 }, (_, i) => (i * 37) & 255));
      const img = sharp(png);
      return { kind: 'bytes', values: [png, ...(await Promise.all([img.clone().jpeg().toBuffer(), img.clone().webp().toBuffer(), img.clone().gif().toBuffer()])).map((b) => new Uint8Array(b))] };
    },
    read: (b) => decodeImage(b, { maxSide: 64 }),
  },
  jsonTarget('manifest.json', () => [sampleManifest()], (b) => readManifestJson(b)),
  jsonTarget('checkpoint.json', () => [sampleCheckpoint()], (b) => readJson(checkpointSchema, b, 'checkpoint.json')),
  jsonTarget('saved settings (localStorage)', () => [{ version: 1, cfg: DEFAULTS, gpuBudgetMiB: 512, backbone: { name: 'm.onnx', sha256: 'ab'.repeat(32) }, data: { kind: 'folder', name: 'pets' } }],
    (b) => readSavedSettings(new TextDecoder().decode(b)) ?? refuse('saved settings: not a saved form (the form keeps its defaults)')),
  jsonTarget('demo pack.bin index', () => [[{ path: 'demo/fashion/train/a/0.png', length: 120 }, { path: 'b/1.png', length: 0 }]], (b) => readJson(packIndexSchema, b, 'pack.bin')),
  jsonTarget('config.json', () => [sampleConfig()], (b) => parseModelMeta({ config: text(b) })),
  jsonTarget('models/catalog.json', () => ['catalog.json', 'starters.json'].map((f) => JSON.parse(readFileSync(join(REPO, 'models', f), 'utf8'))),
    (b) => parseCatalog(readCatalogJson(b, 'models/catalog.json'), '/models/', false)),
  jsonTarget('stored run record', () => [sampleRunRecord()], (b) => checkRunRecord('run', parseJson(b, 'record'))),
  jsonTarget('preprocessor_config.json', () => [samplePreprocessor(), { ...samplePreprocessor(), size: { shortest_edge: 256 }, image_mean: 0.5 }], (b) => parseModelMeta({ preprocessor: text(b) })),
];
