// The deployable model.onnx takes any batch: exported from the starters (a ResNet and a ViT, free-batch files), a
// re-batchable fixed-batch export and every head kind, it runs at batch 1 and 7 in onnxruntime-node (and
// onnxruntime-web's wasm EP) with each row equal to the fixed-batch-1 model's row for that image; a backbone whose
// fixed batch cannot be re-batched keeps its batch and says so in the doc string.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decodeModel, encodeModel } from '../onnx/codec.ts';
import { loadBackbone } from '../onnx/backbone.ts';
import { Builder } from '../onnx/builder.ts';
import { Graph } from '../onnx/ir.ts';
import type { SessionModel } from '../onnx/external.ts';
import type { Tensor } from '../onnx/tensor.ts';
import { runGraph } from '../runtime/ort-node.ts';
import { detectCapabilities, WebExecutor } from '../runtime/web-executor.ts';
import { deployable, describeBackbone, exportDeployable, initParams } from './compile.ts';
import { DEFAULTS, type TrainConfig } from './config.ts';
import { Rng } from './init.ts';

const ROOT = join(import.meta.dirname, '../..');
const file = (p: string) => loadBackbone(new Uint8Array(readFileSync(join(ROOT, p)))).bytes;
const rand = (shape: number[], seed: number): Tensor => { const r = new Rng(seed); return { dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.next()) }; };
const rows = (t: Tensor, n: number): number[][] => { const d = t.data as Float32Array, w = d.length / n; return Array.from({ length: n }, (_, i) => Array.from(d.subarray(i * w, (i + 1) * w))); };
const image = (x: Tensor, i: number): Tensor => { const per = x.data.length / x.shape[0]; return { dtype: 'float32', shape: [1, ...x.shape.slice(1)], data: (x.data as Float32Array).slice(i * per, (i + 1) * per) }; };
const maxDiff = (a: number[][], b: number[][]) => Math.max(...a.flatMap((r, i) => r.map((v, j) => Math.abs(v - b[i][j]))));
const logits = async (m: SessionModel, x: Tensor) => Object.values(await runGraph(m, { images: x }))[0];

const CASES: [string, TrainConfig['method'], TrainConfig['head']][] = [
  ['models/starter-resnet.onnx', 'lorvp', 'lp'], ['models/starter-resnet.onnx', 'pad', 'flm'], ['models/starter-resnet.onnx', 'none', 'fm'],
  ['models/starter-vit.onnx', 'vpt', 'ilm'], ['models/starter-vit.onnx', 'vpt-deep', 'lp'], ['models/starter-vit.onnx', 'lorvp', 'fm'],
  // files that fix the batch, re-batched: a batch of 2, timm's ViT and Swin (batch 1, the Swin's merged with the
  // window count); and an optimum ViT (free batch, the exporter's shape arithmetic folded)
  ['tests/fixtures/grad/resnet_o17/model.onnx', 'lorvp', 'fm'], ['tests/fixtures/hub/timm-vit-fixed-batch/model.onnx', 'vpt-deep', 'flm'],
  ['tests/fixtures/hub-next/swin-timm-fixed-batch/model.onnx', 'lorvp', 'lp'], ['tests/fixtures/hub/optimum-vit-o17/model.onnx', 'vpt', 'fm'],
];

describe('the deployable model takes any batch', () => {
  for (const [path, method, head] of CASES) {
    it(`${path.split('/').slice(-2).join('/')}, ${method} + ${head}: batch 1 and 7 give the fixed-batch-1 model's rows`, async () => {
      const bytes = file(path);
      const info = describeBackbone(bytes).info;
      const L = info.inputSize, C = 3;
      const c: TrainConfig = { ...DEFAULTS, method, head, init: 'normal,normal', padWidth: 4, tokens: 3, seed: 5 };
      const params = initParams(c, info, C);
      const mapping = head === 'flm' || head === 'ilm' ? Int32Array.of(4, 1, 8) : undefined;
      const d = deployable(bytes, c, C, params, mapping, info.numSourceClasses);
      expect(d.input).toEqual(['N', 3, L, L]);
      expect(d.fixedBatchWhy).toBeUndefined();
      const g = decodeModel(d.model as Uint8Array);
      expect(g.inputs.map((v) => [v.name, v.shape])).toEqual([['images', ['N', 3, L, L]]]);
      expect(g.outputs.map((v) => [v.name, v.shape])).toEqual([['logits', ['N', C]]]);
      expect(g.docString).toContain(`input images [N,3,${L},${L}] in [0,1] (any batch N), output logits [N,${C}]`);
      const one = exportDeployable(bytes, c, C, params, mapping, info.numSourceClasses, 1);
      expect(decodeModel(one as Uint8Array).inputs[0].shape).toEqual([1, 3, L, L]);
      const x = rand([7, 3, L, L], 9);
      const want = await Promise.all(Array.from({ length: 7 }, async (_, i) => rows(await logits(one, image(x, i)), 1)[0]));
      const at7 = rows(await logits(d.model, x), 7);
      const at1 = await Promise.all(Array.from({ length: 7 }, async (_, i) => rows(await logits(d.model, image(x, i)), 1)[0]));
      expect(at7[0]).toHaveLength(C);
      expect(maxDiff(at7, want)).toBeLessThanOrEqual(1e-5);
      expect(maxDiff(at1, want)).toBeLessThanOrEqual(1e-5);
      expect(new Set(at7.map((r) => r.join())).size).toBe(7); // seven different images, seven different rows
    });
  }

  it('runs at batch 1 and 7 in onnxruntime-web (wasm EP) with the rows of onnxruntime-node', async () => {
    const bytes = file('models/starter-vit.onnx');
    const info = describeBackbone(bytes).info;
    const L = info.inputSize;
    const c: TrainConfig = { ...DEFAULTS, method: 'vpt-deep', head: 'lp', init: 'normal,normal', tokens: 3, seed: 6 };
    const m = exportDeployable(bytes, c, 4, initParams(c, info, 4), undefined, info.numSourceClasses);
    const ex = new WebExecutor(await detectCapabilities('wasm'));
    const s = await ex.createSession(m);
    try {
      for (const n of [1, 7]) {
        const x = rand([n, 3, L, L], 20 + n);
        const web = await ex.download(Object.values(await s.run({ images: ex.upload(x) }))[0]);
        expect(web.shape).toEqual([n, 4]);
        expect(maxDiff(rows(web, n), rows(await logits(m, x), n))).toBeLessThanOrEqual(1e-5);
      }
    } finally {
      await s.release();
    }
  });

  it('a backbone whose fixed batch cannot be re-batched keeps it, and its doc string says so', async () => {
    // batch 1 with a channel mean that mixes the batch ([C,B,H,W] → [C,B·H·W]) at any other size
    const g = new Graph();
    const x = g.value('x'); x.dtype = 'float32'; x.shape = [1, 3, 16, 16];
    g.inputs = [x];
    const b = new Builder(g), r = new Rng(4), w = (shape: number[]) => b.constF(Float32Array.from({ length: shape.reduce((a, k) => a * k, 1) }, () => r.next() - 0.5), shape);
    const h = b.op('Relu', [b.op('Conv', [x, w([4, 3, 3, 3]), w([4])], { pads: [1, 1, 1, 1] })]);
    const pooled = b.op('ReduceMean', [b.transpose(b.reshape(b.transpose(h, [1, 0, 2, 3]), [4, 256]), [1, 0])], { axes: [0], keepdims: 1 });
    g.outputs = [b.op('Gemm', [pooled, w([10, 4]), w([10])], { transB: 1 })];
    const bytes = encodeModel(g);
    const info = describeBackbone(bytes).info;
    const c: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp', rank: 2, init: 'normal,normal', seed: 1 };
    const d = deployable(bytes, c, 3, initParams(c, info, 3), undefined, info.numSourceClasses);
    expect(d.input).toEqual([1, 3, 16, 16]);
    expect(d.fixedBatchWhy).toMatch(/^the backbone file fixes a batch of 1 and cannot be re-batched \(cannot re-specialise Reshape '[^']+': factors left over\)$/);
    const dg = decodeModel(d.model as Uint8Array);
    expect(dg.inputs[0].shape).toEqual([1, 3, 16, 16]);
    expect(dg.docString).toContain('input images [1,3,16,16] in [0,1], output logits [1,3] — a fixed batch of 1: the backbone file fixes a batch of 1');
    const y = await logits(d.model, rand([1, 3, 16, 16], 3));
    expect(y.shape).toEqual([1, 3]);
  });
});
