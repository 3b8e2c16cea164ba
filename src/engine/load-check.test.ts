// The load check on a DINOv2-like model whose position grid is resized by an opset-18 antialiased bicubic Resize:
// the loaded backbone (the Resize folded on the host) agrees with the file run by onnxruntime, and a deliberately
// broken load — the same model with the antialias attribute dropped, as a pass that forgot it would — is refused,
// naming the first node whose output differs. Feature extractors are compared with the token they were taken from.
import { describe, expect, it } from 'vitest';
import { loadBackbone } from '../onnx/backbone.ts';
import { f } from '../onnx/builder.ts';
import { decodeModel, encodeModel } from '../onnx/codec.ts';
import { Graph, type Attr } from '../onnx/ir.ts';
import { fromNumbers } from '../onnx/tensor.ts';
import { runGraph } from '../runtime/ort-node.ts';
import { checkLoad, type RunModel } from './load-check.ts';

const D = 8, GRID = 7, P = 4, L = 16, n = L / P;
const int = (value: number): Attr => ({ type: 'int', value }), ints = (value: number[]): Attr => ({ type: 'ints', value });
const vals = (k: number, seed: number) => Float32Array.from({ length: k }, (_, i) => Math.sin(i * 0.37 + seed) * 0.5);

/** pixel_values [N,3,16,16] → 4×4 patches (D = 8) + Resize(7×7 grid → 4×4) → tokens → mean → Gemm; or the tokens. */
function model(features: boolean): Uint8Array {
  const g = new Graph();
  g.opsetImports = [{ domain: '', version: 18 }];
  const x = g.value('pixel_values'); x.dtype = 'float32'; x.shape = ['batch', 3, L, L];
  g.inputs = [x];
  const init = (name: string, shape: number[], data: Float32Array | number[], dtype: 'float32' | 'int64' = 'float32') => g.addInitializer(name, fromNumbers(dtype, shape, data));
  const v = (name: string) => g.value(name);
  g.addNode('Conv', [x, init('w', [D, 3, P, P], vals(D * 3 * P * P, 1)), init('b', [D], vals(D, 2))], [v('patches')], { kernel_shape: ints([P, P]), strides: ints([P, P]) }, { name: 'patch_embed' });
  g.addNode('Reshape', [v('patches'), init('s1', [3], [0, D, n * n], 'int64')], [v('flat')]);
  g.addNode('Transpose', [v('flat')], [v('tokens')], { perm: ints([0, 2, 1]) });
  g.addNode('Resize', [init('grid', [1, D, GRID, GRID], vals(D * GRID * GRID, 3)), null, null, init('sizes', [4], [1, D, n, n], 'int64')], [v('pos_grid')],
    { mode: { type: 'string', value: 'cubic' }, antialias: int(1) }, { name: 'interpolate_pos_encoding' });
  g.addNode('Reshape', [v('pos_grid'), init('s2', [3], [1, D, n * n], 'int64')], [v('pos_flat')]);
  g.addNode('Transpose', [v('pos_flat')], [v('pos')], { perm: ints([0, 2, 1]) });
  g.addNode('Add', [v('tokens'), v('pos')], [v('last_hidden_state')], {}, { name: 'add_pos' });
  if (features) {
    // a BERT-style pooler (tanh), which no image classifier reads: the features are the CLS token
    g.addNode('ReduceMean', [v('last_hidden_state'), init('ax', [1], [1], 'int64')], [v('mean')], { keepdims: int(0) });
    g.addNode('Tanh', [v('mean')], [v('pooler_output')]);
    g.outputs = [v('last_hidden_state'), v('pooler_output')];
    g.outputs[0].shape = ['batch', n * n, D]; g.outputs[1].shape = ['batch', D];
    for (const o of g.outputs) o.dtype = 'float32';
  } else {
    g.addNode('ReduceMean', [v('last_hidden_state'), init('ax', [1], [1], 'int64')], [v('pooled')], { keepdims: int(0) });
    g.addNode('Gemm', [v('pooled'), init('head_w', [10, D], vals(10 * D, 4)), init('head_b', [10], vals(10, 5))], [v('logits')], { transB: int(1), alpha: f(1) });
    g.outputs = [v('logits')];
  }
  return encodeModel(g);
}

const run: RunModel = (m, feeds) => runGraph(m, feeds);

describe('load check', () => {
  it('an antialiased position-grid Resize folded on the host agrees with the file', async () => {
    const file = model(false), loaded = loadBackbone(file, { inputSize: L });
    const c = await checkLoad(file, loaded.bytes, loaded.tolerance, run);
    expect(c.relError).toBeLessThan(1e-6);
    expect(c.note).toMatch(/^checked against the file on a random batch of 2: max rel\. error .* \(allowed 1\.0e-4: float32 rounding\)$/);
  });

  it('a load that drops the antialias attribute is refused, naming the first node that differs', async () => {
    const file = model(false), loaded = loadBackbone(file, { inputSize: L });
    const g = decodeModel(loaded.bytes);
    delete g.nodes.find((nd) => nd.opType === 'Resize')!.attrs.antialias;
    await expect(checkLoad(file, encodeModel(g), loaded.tolerance, run)).rejects.toThrow(
      /^the loaded model does not compute what the file computes: 'logits' differs by .* \(max rel\. error; allowed 1\.0e-4, float32 rounding\); first at Add 'add_pos' \(output 'last_hidden_state'\)$/);
  });

  it('a feature extractor is compared with the token of the file output it reads', async () => {
    const file = model(true), loaded = loadBackbone(file, { inputSize: L });
    expect(loaded.notes.join('\n')).toMatch(/features for lp: CLS token of 'last_hidden_state'/);
    const c = await checkLoad(file, loaded.bytes, loaded.tolerance, run);
    expect(c.relError).toBeLessThan(1e-6);
  });

  it('features metadata that is not ours in shape is refused in one line, not a JSON error', async () => {
    const file = model(true), loaded = loadBackbone(file, { inputSize: L });
    for (const bad of ['{not json', '[]', '{"output": 3}', '{"output": "last_hidden_state", "token": -1}']) {
      const g = decodeModel(loaded.bytes);
      g.metadata['vp.features.ref'] = bad;
      await expect(checkLoad(file, encodeModel(g), loaded.tolerance, run)).rejects.toThrow(/^model metadata 'vp\.features\.ref' must be \{"output": name, "token"\?: index\}, got "/);
    }
  });
});
