// Numeric gradient checks for the structure rules (conv, pooling, batch norm, shape and indexing ops) through
// onnxruntime-node, plus an exact max-pool tie test against a torch-computed gradient.
import { describe, expect, it } from 'vitest';
import { Builder, f } from '../onnx/builder.ts';
import { Graph, type Value } from '../onnx/ir.ts';
import { numel } from '../onnx/tensor.ts';
import { runGraph } from '../runtime/ort-node.ts';
import { backward } from './backward.ts';
import { slice } from './rules/Slice.ts';
import { gradcheck, rng, type CheckInput, type Runner } from './gradcheck.ts';

export const run: Runner = (g, feeds) => runGraph(g, feeds, { optimization: 'disabled' });
const TOL = 2e-3;

type Build = (b: Builder, xs: Value[]) => Value;
type Row = [string, Build, CheckInput[], { opset?: number; eps?: number; seed?: number }?];

/** Distinct values 0.05 apart in shuffled order: no max-pool ties, far from any ±eps flip. */
function distinct(shape: number[], seed = 7): CheckInput {
  const n = shape.reduce((a, c) => a * c, 1), r = rng(seed);
  const v = Array.from({ length: n }, (_, i) => (i - n / 2) * 0.05);
  for (let i = n - 1; i > 0; i--) { const j = Math.floor(r() * (i + 1)); [v[i], v[j]] = [v[j], v[i]]; }
  return { shape, data: Float32Array.from(v) };
}
const op = (type: string, attrs: Parameters<Builder['op']>[2] = {}): Build => (b, xs) => b.op(type, xs, attrs);
const conv = (attrs: Parameters<Builder['op']>[2] = {}): Build => (b, xs) => b.op('Conv', xs, attrs);
/** Conv with a constant weight (a frozen backbone's): unit strides take the flipped-kernel Conv path for dx. */
const convConstW = (w: number[], attrs: Parameters<Builder['op']>[2] = {}): Build => (b, xs) => {
  const r = rng(11), n = w.reduce((a, c) => a * c, 1);
  return b.op('Conv', [xs[0], b.constF(Float32Array.from({ length: n }, () => r() - 0.5), w), ...xs.slice(1)], attrs);
};

const rows: Row[] = [
  ['Conv 2d + bias', conv(), [{ shape: [2, 2, 5, 5] }, { shape: [3, 2, 3, 3] }, { shape: [3] }]],
  ['Conv strides 2, pads 1', conv({ strides: [2, 2], pads: [1, 1, 1, 1] }), [{ shape: [1, 2, 6, 7] }, { shape: [3, 2, 3, 3] }]],
  ['Conv asymmetric pads, dilation 2', conv({ pads: [0, 2, 1, 0], dilations: [2, 2] }), [{ shape: [1, 2, 7, 6] }, { shape: [2, 2, 3, 2] }]],
  ['Conv truncated (output_padding)', conv({ strides: [3, 2] }), [{ shape: [1, 1, 8, 7] }, { shape: [2, 1, 2, 2] }]],
  ['Conv group 2', conv({ group: 2, pads: [1, 1, 1, 1] }), [{ shape: [2, 4, 5, 5] }, { shape: [6, 2, 3, 3] }, { shape: [6] }]],
  ['Conv depthwise stride 2', conv({ group: 3, strides: [2, 2], pads: [1, 1, 1, 1] }), [{ shape: [1, 3, 6, 6] }, { shape: [3, 1, 3, 3] }]],
  ['Conv auto_pad SAME_UPPER stride 2', conv({ auto_pad: 'SAME_UPPER', strides: [2, 2] }), [{ shape: [1, 2, 6, 5] }, { shape: [2, 2, 4, 3] }]],
  ['Conv auto_pad SAME_LOWER', conv({ auto_pad: 'SAME_LOWER' }), [{ shape: [1, 2, 5, 5] }, { shape: [2, 2, 2, 2] }]],
  ['Conv auto_pad VALID stride 2', conv({ auto_pad: 'VALID', strides: [2, 2] }), [{ shape: [1, 2, 7, 6] }, { shape: [2, 2, 3, 3] }]],
  ['Conv 1-D stride 2 dilation 2 pads', conv({ strides: [2], dilations: [2], pads: [2, 1] }), [{ shape: [2, 2, 9] }, { shape: [3, 2, 3] }, { shape: [3] }]],
  ['Conv depthwise multiplier 2', conv({ group: 2, pads: [1, 1, 1, 1] }), [{ shape: [1, 2, 4, 5] }, { shape: [4, 1, 3, 3] }]],
  ['Conv constant W (flipped-kernel dx)', convConstW([3, 2, 3, 3], { pads: [1, 1, 1, 1] }), [{ shape: [2, 2, 5, 5] }, { shape: [3] }]],
  ['Conv constant W group 2, dilation 2, asymmetric pads', convConstW([6, 2, 3, 2], { group: 2, pads: [0, 2, 1, 0], dilations: [2, 2] }), [{ shape: [1, 4, 7, 6] }]],
  ['Conv constant W depthwise multiplier 2', convConstW([4, 1, 3, 3], { group: 2, pads: [1, 1, 1, 1] }), [{ shape: [1, 2, 4, 5] }]],
  ['Conv constant W 1-D', convConstW([3, 2, 3], { pads: [2, 1] }), [{ shape: [2, 2, 9] }]],
  ['Conv input only (frozen weights)', conv({ strides: [2, 2], pads: [1, 1, 1, 1] }), [{ shape: [1, 3, 6, 6] }, { shape: [4, 3, 3, 3], diff: false }]],
  ['ConvTranspose 2d + bias', op('ConvTranspose'), [{ shape: [2, 2, 3, 3] }, { shape: [2, 3, 2, 2] }, { shape: [3] }]],
  ['ConvTranspose strides 2, pads, output_padding', op('ConvTranspose', { strides: [2, 2], pads: [1, 0, 1, 1], output_padding: [1, 0] }), [{ shape: [1, 2, 3, 4] }, { shape: [2, 2, 3, 3] }]],
  ['ConvTranspose group 2 dilation 2', op('ConvTranspose', { group: 2, dilations: [2, 1], strides: [1, 2] }), [{ shape: [1, 4, 3, 3] }, { shape: [4, 1, 2, 3] }]],
  ['ConvTranspose 1-D stride 3', op('ConvTranspose', { strides: [3], pads: [1, 0] }), [{ shape: [2, 2, 4] }, { shape: [2, 1, 4] }]],
  ['MaxPool 2x2 stride 2', op('MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }), [distinct([2, 2, 4, 6])]],
  ['MaxPool 3x3 stride 2 pads 1 (ResNet stem)', op('MaxPool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), [distinct([1, 2, 7, 6])]],
  ['MaxPool overlapping stride 1', op('MaxPool', { kernel_shape: [3, 2] }), [distinct([1, 2, 5, 4])]],
  ['MaxPool ceil_mode', op('MaxPool', { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }), [distinct([1, 2, 6, 8])]],
  ['MaxPool ceil_mode pads 1', op('MaxPool', { kernel_shape: [2, 2], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }), [distinct([1, 1, 5, 6])]],
  ['MaxPool dilation 2 asymmetric pads', op('MaxPool', { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 0, 0, 1] }), [distinct([1, 2, 6, 5])]],
  ['MaxPool auto_pad SAME_UPPER', op('MaxPool', { kernel_shape: [3, 3], strides: [2, 2], auto_pad: 'SAME_UPPER' }), [distinct([1, 2, 6, 5])]],
  ['MaxPool 1-D', op('MaxPool', { kernel_shape: [3], strides: [2], pads: [1, 1] }), [distinct([2, 2, 9])]],
  ['MaxPool opset 11', op('MaxPool', { kernel_shape: [2, 2], strides: [2, 2] }), [distinct([1, 2, 4, 4])], { opset: 11 }],
  ['AveragePool 2x2 stride 2', op('AveragePool', { kernel_shape: [2, 2], strides: [2, 2] }), [{ shape: [2, 2, 4, 6] }]],
  ['AveragePool pads, exclude pad', op('AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }), [{ shape: [1, 2, 7, 6] }]],
  ['AveragePool pads, count_include_pad', op('AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 0, 1, 2], count_include_pad: 1 }), [{ shape: [1, 2, 7, 6] }]],
  ['AveragePool ceil_mode exclude pad', op('AveragePool', { kernel_shape: [3, 3], strides: [2, 2], ceil_mode: 1 }), [{ shape: [1, 2, 6, 8] }]],
  ['AveragePool ceil_mode pads count_include_pad', op('AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }), [{ shape: [1, 1, 6, 8] }]],
  ['AveragePool 1-D stride 2', op('AveragePool', { kernel_shape: [3], strides: [2], pads: [1, 1] }), [{ shape: [2, 2, 8] }]],
  ['AveragePool dilation 2 (opset 19)', op('AveragePool', { kernel_shape: [2, 2], dilations: [2, 2], pads: [1, 1, 0, 1] }), [{ shape: [1, 2, 6, 5] }], { opset: 19 }],
  ['GlobalAveragePool', op('GlobalAveragePool'), [{ shape: [2, 3, 4, 5] }]],
  ['GlobalMaxPool', op('GlobalMaxPool'), [distinct([2, 3, 3, 4])]],
  ['BatchNormalization all inputs', op('BatchNormalization', { epsilon: f(1e-3) }), [{ shape: [2, 3, 4, 4] }, { shape: [3] }, { shape: [3] }, { shape: [3] }, { shape: [3], lo: 0.5, hi: 1.5 }]],
  ['BatchNormalization input only, rank 2', op('BatchNormalization'), [{ shape: [4, 3] }, { shape: [3], diff: false }, { shape: [3], diff: false }, { shape: [3], diff: false }, { shape: [3], lo: 0.5, hi: 1.5, diff: false }]],
  ['Transpose', op('Transpose', { perm: [2, 0, 3, 1] }), [{ shape: [2, 3, 4, 5] }]],
  ['Transpose default perm', op('Transpose'), [{ shape: [2, 3, 4] }]],
  ['Flatten axis 2', op('Flatten', { axis: 2 }), [{ shape: [2, 3, 4, 2] }]],
  ['Flatten axis -1', op('Flatten', { axis: -1 }), [{ shape: [2, 3, 4] }]],
  ['Squeeze (opset 17, axes input)', (b, [x]) => b.squeeze(x, [-1, 1]), [{ shape: [3, 1, 4, 1] }]],
  ['Squeeze (opset 11, attribute)', (b, [x]) => b.squeeze(x, [1]), [{ shape: [3, 1, 4] }], { opset: 11 }],
  ['Unsqueeze (opset 17)', (b, [x]) => b.unsqueeze(x, [0, -1]), [{ shape: [3, 4] }]],
  ['Unsqueeze (opset 11)', (b, [x]) => b.unsqueeze(x, [1]), [{ shape: [3, 4] }], { opset: 11 }],
  ['Concat axis 1', op('Concat', { axis: 1 }), [{ shape: [2, 3, 2] }, { shape: [2, 1, 2] }, { shape: [2, 4, 2] }]],
  ['Concat axis -1, one frozen', op('Concat', { axis: -1 }), [{ shape: [2, 3] }, { shape: [2, 2], diff: false }]],
  ['Concat opset 11', op('Concat', { axis: 0 }), [{ shape: [2, 3] }, { shape: [1, 3] }], { opset: 11 }],
  ['Slice steps 1, negative axes/ends', (b, [x]) => slice(b, x, [1, 0], [-1, 3], [-1, 1]), [{ shape: [2, 4, 5] }]],
  ['Slice step 2 and 3', (b, [x]) => slice(b, x, [0, 1], [100, 7], [1, 2], [2, 3]), [{ shape: [2, 5, 8] }]],
  ['Slice negative step', (b, [x]) => slice(b, x, [-1, 3], [-100, 0], [0, 1], [-1, -2]), [{ shape: [3, 5] }]],
  ['Slice opset 9 (attributes)', (b, [x]) => slice(b, x, [1], [3], [1]), [{ shape: [2, 4] }], { opset: 9 }],
  ['Split equal, all used', (b, [x]) => { const [p, q] = b.opN('Split', [x], 2, { axis: 1 }); return b.add(p, b.mul(q, q)); }, [{ shape: [2, 4, 3] }]],
  ['Split sizes, one output unused', (b, [x]) => b.opN('Split', [x, b.constI64([1, 2, 2])], 3, { axis: -1 })[1], [{ shape: [2, 5] }]],
  ['Split opset 11 attribute', (b, [x]) => b.opN('Split', [x], 2, { axis: 0, split: [1, 2] })[0], [{ shape: [3, 2] }], { opset: 11 }],
  ['Gather scalar index (CLS token)', (b, [x]) => b.op('Gather', [x, b.constI64([0], [])], { axis: 1 }), [{ shape: [2, 5, 3] }]],
  ['Gather repeated/negative indices', (b, [x]) => b.op('Gather', [x, b.constI64([2, -1, 2, 0], [2, 2])], { axis: 0 }), [{ shape: [4, 3] }]],
  ['Gather dynamic int64 indices', (b, [x, i]) => b.op('Gather', [x, i], { axis: -1 }), [{ shape: [2, 4] }, { shape: [3], dtype: 'int64', values: [3, -4, 3] }]],
  ['Expand', (b, [x]) => b.op('Expand', [x, b.constI64([2, 3, 4])]), [{ shape: [3, 1] }]],
  ['Tile', (b, [x]) => b.op('Tile', [x, b.constI64([2, 1, 3])]), [{ shape: [2, 3, 2] }]],
  ['Pad constant', (b, [x]) => b.op('Pad', [x, b.constI64([0, 1, 2, 1, 0, 3]), b.scalar(0.5)]), [{ shape: [2, 3, 2] }]],
  ['Pad negative (crop)', (b, [x]) => b.op('Pad', [x, b.constI64([-1, 2, 0, -2])]), [{ shape: [4, 5] }]],
  ['Pad opset 18 axes', (b, [x]) => b.op('Pad', [x, b.constI64([1, 2]), null, b.constI64([-1])]), [{ shape: [2, 3] }], { opset: 18 }],
  ['Pad opset 9 attribute', (b, [x]) => b.op('Pad', [x], { pads: [1, 0, 0, 2] }), [{ shape: [2, 3] }], { opset: 9 }],
];

describe('gradcheck: structure rules', () => {
  for (const [name, build, inputs, opts] of rows) {
    it(name, async () => {
      const r = await gradcheck(run, build, inputs, opts);
      expect(r.relError, `${name}: analytic ${r.analytic} numeric ${r.numeric}`).toBeLessThan(TOL);
    });
  }
});

// Exact gradients from torch 1.13 CPU (Debian's /usr/bin/python3), printed once by running the call in each comment
// on x.requires_grad_() and y.backward(dy) with dy = 1, 2, 3, … in row-major order; committed here as fixtures.
// Ties (ReLU-style zeros and repeated values) go to the FIRST maximum of each window in row-major order.
const TIES_X = [0, 0, 1, 1, 0, 0, 0, 0, 1, 2, 2, 0, 0, 0, 2, 0, 2, 2, 0, 0, 1, 0, 0, 0, 1]; // [1, 1, 5, 5]
const exact: [string, string, Record<string, number | number[]>, number[], number[], number[]][] = [
  // torch.nn.functional.max_pool2d(x, 2, 1, 0)
  ['MaxPool ties k2 s1', 'MaxPool', { kernel_shape: [2, 2] }, [1, 1, 5, 5], TIES_X,
    [1, 0, 5, 0, 0, 0, 6, 0, 7, 12, 14, 0, 0, 0, 12, 0, 37, 26, 0, 0, 0, 0, 0, 0, 16]],
  // max_pool2d(x, 3, 2, 1)
  ['MaxPool ties k3 s2 p1', 'MaxPool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] }, [1, 1, 5, 5], TIES_X,
    [1, 0, 2, 0, 0, 0, 0, 0, 0, 9, 4, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 9]],
  // max_pool2d(x, 2, 2, 0, ceil_mode=True)
  ['MaxPool ties k2 s2 ceil_mode', 'MaxPool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 }, [1, 1, 5, 5], TIES_X,
    [1, 0, 2, 0, 0, 0, 0, 0, 0, 3, 4, 0, 0, 0, 6, 0, 0, 5, 0, 0, 7, 0, 8, 0, 9]],
  // adaptive_max_pool2d(x, 1), dy = 1
  ['GlobalMaxPool ties', 'GlobalMaxPool', {}, [1, 1, 5, 5], TIES_X, TIES_X.map((_, i) => (i === 9 ? 1 : 0))],
  // avg_pool2d(x, 3, 2, 1, ceil_mode=True, count_include_pad=True) on [1, 1, 5, 6]
  ['AveragePool ceil_mode count_include_pad', 'AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1, count_include_pad: 1 }, [1, 1, 5, 6], Array(30).fill(0),
    [0.111111, 0.333333, 0.222222, 0.555556, 0.333333, 1.0, 0.666667, 1.555556, 0.888889, 2.0, 1.111111, 3.111111, 0.555556, 1.222222, 0.666667, 1.444444, 0.777778, 2.111111, 1.555556, 3.333333, 1.777778, 3.777778, 2.0, 5.333333, 1.0, 2.111111, 1.111111, 2.333333, 1.222222, 3.222222]],
  // same, count_include_pad=False
  ['AveragePool ceil_mode exclude pad', 'AveragePool', { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], ceil_mode: 1 }, [1, 1, 5, 6], Array(30).fill(0),
    [0.25, 0.583333, 0.333333, 0.833333, 0.5, 2.5, 1.083333, 2.083333, 1.0, 2.277778, 1.277778, 5.944445, 0.833333, 1.5, 0.666667, 1.444444, 0.777778, 3.444445, 3.083333, 5.416667, 2.333333, 4.944445, 2.611111, 11.277779, 2.25, 3.916667, 1.666667, 3.5, 1.833333, 7.833333]],
  // avg_pool2d(x, 2, 2, 0, ceil_mode=True, count_include_pad=True): the clipped last window divides by its size
  ['AveragePool ceil_mode window past the end', 'AveragePool', { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1, count_include_pad: 1 }, [1, 1, 5, 6], Array(30).fill(0),
    [0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 0.25, 0.25, 0.5, 0.5, 0.75, 0.75, 1.0, 1.0, 1.25, 1.25, 1.5, 1.5, 1.0, 1.0, 1.25, 1.25, 1.5, 1.5, 3.5, 3.5, 4.0, 4.0, 4.5, 4.5]],
];

describe('structure rules: exact gradients vs torch', () => {
  for (const [name, type, attrs, shape, xData, want] of exact) {
    it(name, async () => {
      const g = new Graph();
      const b = new Builder(g);
      const x = g.value('x');
      x.dtype = 'float32';
      x.shape = shape;
      g.inputs.push(x);
      const y = b.op(type, [x], attrs);
      const dy = b.constF(Array.from({ length: numel(y.dims) }, (_, i) => (type === 'GlobalMaxPool' ? 1 : i + 1)), y.dims);
      const gx = backward(g, { seeds: [{ value: y, grad: dy }], wrt: [x] }).get(x)!;
      g.outputs = [b.op('Identity', [gx], {}, 'dx')];
      const out = await run(g, { x: { dtype: 'float32', shape, data: Float32Array.from(xData) } });
      const got = Array.from(out[g.outputs[0].name].data as Float32Array);
      got.forEach((v, i) => expect(v, `${name} element ${i}`).toBeCloseTo(want[i], 4));
    });
  }

  it('refuses Pad reflect and BatchNormalization training mode, naming them', async () => {
    await expect(gradcheck(run, (b, [x]) => b.op('Pad', [x, b.constI64([1, 1, 1, 1])], { mode: 'reflect' }), [{ shape: [3, 3] }]))
      .rejects.toThrow(/Pad .* mode 'reflect' is not supported/);
    await expect(gradcheck(run, (b, [x]) => b.opN('BatchNormalization', [x, b.constF([1, 1]), b.constF([0, 0]), b.constF([0, 0]), b.constF([1, 1])], 3, { training_mode: 1 })[0], [{ shape: [2, 2, 3] }]))
      .rejects.toThrow(/BatchNormalization .* training mode/);
  });
});
