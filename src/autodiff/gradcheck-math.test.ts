// Gradient checks for the "math" rules (elementwise, reductions, normalisation, Gemm) through onnxruntime-node:
// one numeric gradcheck row per op variant, exact comparisons against torch.autograd for the trickier rules,
// and an audit that emitted gradient nodes stay within the WebGPU-safe vocabulary (float32, no int64 maths).
import { describe, expect, it } from 'vitest';
import { Builder, f } from '../onnx/builder.ts';
import type { Value } from '../onnx/ir.ts';
import { fromNumbers, type Tensor } from '../onnx/tensor.ts';
import { runGraph } from '../runtime/ort-node.ts';
import { buildCheck, gradcheck, type CheckInput, type Runner } from './gradcheck.ts';

const run: Runner = (g, feeds) => runGraph(g, feeds, { optimization: 'disabled' });
const TOL = 2e-3;

type Build = (b: Builder, xs: Value[]) => Value;
/** name, forward, inputs, opset (default 17), finite-difference step (default 1e-3). */
type Row = [name: string, build: Build, inputs: CheckInput[], opset?: number, eps?: number];

const pos = (shape: number[]): CheckInput => ({ shape, lo: 0.5, hi: 2 });
const sc = (b: Builder, v: number) => b.scalar(v);
const un = (op: string, attrs: Record<string, unknown> = {}): Build => (b, [x]) => b.op(op, [x], attrs as never);

const rows: Row[] = [
  ['Sub broadcast', (b, [x, y]) => b.sub(x, y), [{ shape: [2, 3, 4] }, { shape: [3, 1] }]],
  ['Div broadcast', (b, [x, y]) => b.div(x, y), [{ shape: [2, 3] }, pos([3])]],
  ['Neg', un('Neg'), [{ shape: [2, 3] }]],
  ['Pow x^2 (constant)', (b, [x]) => b.op('Pow', [x, sc(b, 2)]), [{ shape: [2, 3] }]],
  ['Pow x^0.5 (constant)', (b, [x]) => b.op('Pow', [x, sc(b, 0.5)]), [pos([2, 3])]],
  ['Pow x^3 (int64 constant)', (b, [x]) => b.op('Pow', [x, b.constI64([3], [])]), [{ shape: [2, 3] }]],
  ['Pow x^p (p per column constant)', (b, [x]) => b.op('Pow', [x, b.constF([1, 2, -1.5])]), [pos([2, 3])]],
  ['Pow a^p (both differentiable)', (b, [x, p]) => b.op('Pow', [x, p]), [pos([2, 3]), { shape: [3], lo: -1, hi: 2 }]],
  ['Pow a^p (int64 input exponent)', (b, [x, p]) => b.op('Pow', [x, p]), [pos([2, 3]), { shape: [], dtype: 'int64', values: [3] }]],
  ['Sqrt', un('Sqrt'), [pos([2, 3])]],
  ['Exp', un('Exp'), [{ shape: [2, 3] }]],
  ['Log', un('Log'), [pos([2, 3])]],
  ['Reciprocal', un('Reciprocal'), [pos([2, 3])]],
  ['Erf', un('Erf'), [{ shape: [2, 3], lo: -2, hi: 2 }]],
  ['Sigmoid', un('Sigmoid'), [{ shape: [2, 3], lo: -3, hi: 3 }]],
  ['Tanh', un('Tanh'), [{ shape: [2, 3], lo: -2, hi: 2 }]],
  // onnxruntime-node 1.30 runs Gelu at opset 20
  ['Gelu exact (opset 20)', un('Gelu'), [{ shape: [2, 5], lo: -3, hi: 3 }], 20],
  ['Gelu tanh (opset 20)', un('Gelu', { approximate: 'tanh' }), [{ shape: [2, 5], lo: -3, hi: 3 }], 20],
  ['Softplus', un('Softplus'), [{ shape: [2, 3], lo: -3, hi: 3 }]],
  ['Clip min/max inputs (opset 13)', (b, [x]) => b.op('Clip', [x, sc(b, -0.5), sc(b, 0.5)]), [{ shape: [3, 4] }], 13],
  ['Clip min only (opset 13)', (b, [x]) => b.op('Clip', [x, sc(b, -0.3)]), [{ shape: [3, 4] }], 13],
  ['Clip max only (opset 13)', (b, [x]) => b.op('Clip', [x, null, sc(b, 0.3)]), [{ shape: [3, 4] }], 13],
  ['Clip attributes (opset 10)', un('Clip', { min: f(-0.5), max: f(0.5) }), [{ shape: [3, 4] }], 10],
  ['Where broadcast', (b, [c, x, y]) => b.op('Where', [c, x, y]),
    [{ shape: [2, 3], dtype: 'bool', values: [1, 0, 1, 0, 0, 1] }, { shape: [2, 3] }, { shape: [3] }]],
  ['Cast float32→float64→float32', (b, [x]) => b.op('Cast', [b.op('Cast', [x], { to: 11 })], { to: 1 }), [{ shape: [2, 3] }]],
  ['Cast to int32 stops the gradient', (b, [x]) => b.add(b.op('Cast', [b.op('Cast', [x], { to: 6 })], { to: 1 }), x),
    [{ shape: [2, 3], lo: 0.1, hi: 0.9 }]],
  ['Identity', un('Identity'), [{ shape: [2, 3] }]],
  ['Dropout inference (opset 13)', (b, [x]) => b.opN('Dropout', [x, sc(b, 0.3)], 1)[0], [{ shape: [2, 3] }], 13],
  ['Dropout training mode, seeded (opset 13)',
    (b, [x]) => b.opN('Dropout', [x, sc(b, 0.3), b.const(fromNumbers('bool', [], [1]))], 2, { seed: 7 })[0],
    [{ shape: [4, 5] }], 13],
  ['Softmax axis 1 (opset 13)', un('Softmax', { axis: 1 }), [{ shape: [2, 3, 4] }], 13],
  ['Softmax default axis (opset 17)', un('Softmax'), [{ shape: [2, 3, 4] }]],
  ['Softmax axis 1 coerced 2-D (opset 11)', un('Softmax', { axis: 1 }), [{ shape: [2, 3, 4] }], 11],
  ['LogSoftmax axis -1 (opset 13)', un('LogSoftmax', { axis: -1 }), [{ shape: [2, 3, 4] }], 13],
  ['LogSoftmax default axis coerced 2-D (opset 11)', un('LogSoftmax'), [{ shape: [2, 3, 4] }], 11],
  ['ReduceSum axes input, keepdims 0 (opset 13)', (b, [x]) => b.op('ReduceSum', [x, b.constI64([1])], { keepdims: 0 }), [{ shape: [2, 3, 4] }], 13],
  ['ReduceSum axes attribute (opset 11)', un('ReduceSum', { axes: [0, -1] }), [{ shape: [2, 3, 4] }], 11],
  ['ReduceSum all axes, keepdims 0', (b, [x]) => b.op('ReduceSum', [x], { keepdims: 0 }), [{ shape: [2, 3, 4] }]],
  ['ReduceSum noop_with_empty_axes', (b, [x]) => b.op('ReduceSum', [x], { noop_with_empty_axes: 1 }), [{ shape: [2, 3] }]],
  ['ReduceMean axes attribute (opset 17)', un('ReduceMean', { axes: [-1] }), [{ shape: [2, 3, 4] }]],
  ['ReduceMean axes input, keepdims 0 (opset 18)', (b, [x]) => b.op('ReduceMean', [x, b.constI64([1, 2])], { keepdims: 0 }), [{ shape: [2, 3, 4] }], 18],
  ['ReduceMax keepdims 0 (opset 17)', un('ReduceMax', { axes: [1], keepdims: 0 }), [{ shape: [2, 3, 4] }]],
  ['ReduceMax axes input (opset 18)', (b, [x]) => b.op('ReduceMax', [x, b.constI64([0, 2])]), [{ shape: [2, 3, 4] }], 18],
  ['ReduceLogSumExp (opset 17)', un('ReduceLogSumExp', { axes: [1] }), [{ shape: [2, 3, 4] }]],
  ['ReduceLogSumExp keepdims 0 (opset 18)', (b, [x]) => b.op('ReduceLogSumExp', [x, b.constI64([-1])], { keepdims: 0 }), [{ shape: [2, 3, 4] }], 18],
  ['LayerNormalization last axis, scale + bias', (b, [x, w, c]) => b.op('LayerNormalization', [x, w, c], { epsilon: f(1e-5) }),
    [{ shape: [2, 3, 4] }, { shape: [4] }, { shape: [4] }]],
  ['LayerNormalization axis 1, no bias', (b, [x, w]) => b.op('LayerNormalization', [x, w], { axis: 1 }), [{ shape: [2, 3, 4] }, { shape: [3, 4] }]],
  ['LayerNormalization frozen scale/bias (x only)', (b, [x, w, c]) => b.op('LayerNormalization', [x, w, c]),
    [{ shape: [3, 6] }, { shape: [6], diff: false }, { shape: [6], diff: false }]],
  ['LayerNormalization Mean and InvStdDev outputs', (b, [x, w]) => {
    const [y, m, s] = b.opN('LayerNormalization', [x, w], 3, { axis: -1 });
    return b.add(b.add(y, m), b.mul(s, sc(b, 0.1)));
  }, [{ shape: [2, 3, 4] }, { shape: [4] }], 17, 3e-3], // σ⁻¹ is steep: a wider step lowers float32 noise
  ['Gemm plain, C [N]', (b, [x, y, c]) => b.op('Gemm', [x, y, c]), [{ shape: [3, 4] }, { shape: [4, 5] }, { shape: [5] }]],
  ['Gemm transA', (b, [x, y, c]) => b.op('Gemm', [x, y, c], { transA: 1 }), [{ shape: [4, 3] }, { shape: [4, 5] }, { shape: [3, 5] }]],
  ['Gemm transB, alpha/beta, C [M,1]', (b, [x, y, c]) => b.op('Gemm', [x, y, c], { transB: 1, alpha: f(0.5), beta: f(2) }),
    [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [3, 1] }]],
  ['Gemm transA + transB, no C', (b, [x, y]) => b.op('Gemm', [x, y], { transA: 1, transB: 1, alpha: f(1.5) }), [{ shape: [4, 3] }, { shape: [5, 4] }]],
  ['Gemm with C (opset 9)', (b, [x, y, c]) => b.op('Gemm', [x, y, c], { transB: 1 }), [{ shape: [3, 4] }, { shape: [5, 4] }, { shape: [5] }], 9],
  ['Max 2 inputs broadcast', (b, [x, y]) => b.op('Max', [x, y]), [{ shape: [2, 3] }, { shape: [3] }]],
  ['Min 2 inputs', (b, [x, y]) => b.op('Min', [x, y]), [{ shape: [2, 3] }, { shape: [2, 3] }]],
  ['Max 3 inputs', (b, [x, y, z]) => b.op('Max', [x, y, z]), [{ shape: [2, 3] }, { shape: [2, 3] }, { shape: [2, 3] }]],
  ['Min 1 input', (b, [x]) => b.op('Min', [x]), [{ shape: [2, 3] }]],
  ['Abs', un('Abs'), [{ shape: [3, 4] }]],
  ['HardSigmoid default', un('HardSigmoid'), [{ shape: [3, 4], lo: -4, hi: 4 }]],
  ['HardSigmoid alpha 1/6 (torch)', un('HardSigmoid', { alpha: f(1 / 6) }), [{ shape: [3, 4], lo: -4, hi: 4 }]],
  ['HardSwish', un('HardSwish'), [{ shape: [3, 4], lo: -5, hi: 5 }]],
  // piecewise linear: a wider step only lowers float32 rounding noise (|ε·t| stays below the distance to the kink)
  ['LeakyRelu alpha 0.1', un('LeakyRelu', { alpha: f(0.1) }), [{ shape: [3, 4] }], 17, 3e-3],
  ['Elu alpha 0.5', un('Elu', { alpha: f(0.5) }), [{ shape: [3, 4] }]],
  // composites as exporters emit them
  ['LayerNorm decomposition (ReduceMean/Sub/Pow/Sqrt/Div)', (b, [x, w]) => {
    const c = b.sub(x, b.reduce('ReduceMean', x, [-1]));
    const v = b.reduce('ReduceMean', b.op('Pow', [c, sc(b, 2)]), [-1]);
    return b.mul(b.div(c, b.op('Sqrt', [b.add(v, sc(b, 1e-5))])), w);
  }, [{ shape: [2, 3, 4] }, { shape: [4] }]],
  ['GELU decomposition (Div/Erf/Add/Mul)', (b, [x]) =>
    b.mul(b.mul(x, b.add(b.op('Erf', [b.div(x, sc(b, Math.SQRT2))]), sc(b, 1))), sc(b, 0.5)), [{ shape: [2, 5], lo: -3, hi: 3 }]],
  ['attention softmax(q kᵀ / √d) v', (b, [q, k, v]) => {
    const s = b.div(b.op('MatMul', [q, b.transpose(k, [0, 2, 1])]), sc(b, 2));
    return b.op('MatMul', [b.op('Softmax', [s], { axis: -1 }), v]);
  }, [{ shape: [2, 3, 4] }, { shape: [2, 3, 4] }, { shape: [2, 3, 4] }]],
];

describe('gradcheck: math rules', () => {
  for (const [name, build, inputs, opset, eps] of rows) {
    it(name, async () => {
      const r = await gradcheck(run, build, inputs, { opset: opset ?? 17, eps });
      if (process.env.SHOW_GC) console.log(name, r.analytic.toFixed(5), r.numeric.toFixed(5), r.relError.toExponential(2));
      expect(r.relError, `${name}: analytic ${r.analytic} numeric ${r.numeric}`).toBeLessThan(TOL);
    });
  }
});

/** Runs the gradient graph on fixed data and returns the input gradients. */
async function vjp(build: Build, inputs: { shape: number[]; data: number[]; diff?: boolean }[], cot: number[], opset = 17) {
  const { g, gradNames } = buildCheck(build, inputs.map(({ shape, diff }) => ({ shape, diff })), opset);
  const feeds: Record<string, Tensor> = { cotangent: fromNumbers('float32', g.inputs.at(-1)!.dims, cot) };
  inputs.forEach((inp, i) => { feeds[`x${i}`] = fromNumbers('float32', inp.shape, inp.data); });
  const res = await run(g, feeds);
  return gradNames.map((n) => Array.from(res[n].data as Float32Array));
}

const maxAbsDiff = (a: number[], e: number[]) => {
  expect(a.length).toBe(e.length);
  return Math.max(...a.map((v, i) => Math.abs(v - e[i])));
};

// Expected values from torch 1.13 (float32), produced once by this script:
//   import torch, torch.nn.functional as F
//   torch.manual_seed(0)
//   r = lambda *s: (torch.randn(*s) * 1000).round() / 1000
//   x, w, bb, dy = r(2,3,4).requires_grad_(), r(4).requires_grad_(), r(4).requires_grad_(), r(2,3,4)
//   F.layer_norm(x, (4,), w, bb, 1e-5).backward(dy)                                      # ln
//   x, dy = r(2,5).requires_grad_(), r(2,5); torch.softmax(x, -1).backward(dy)           # sm
//   x, dy = r(2,3,4).requires_grad_(), r(2,3,4)
//   torch.softmax(x.reshape(2,12), -1).reshape(2,3,4).backward(dy)                       # sm11
//   a, b, c, dy = r(3,4).requires_grad_(), r(5,4).requires_grad_(), r(5).requires_grad_(), r(3,5)
//   (0.5 * a @ b.T + 2 * c).backward(dy)                                                 # gemm
//   x, dy = torch.tensor([-1.,0.,0.5,3.,6.,7.], requires_grad=True), r(6); F.relu6(x).backward(dy)
//   p, q, dy = torch.tensor([1.,2.,3.,-1.], requires_grad=True), torch.tensor([1.,1.,4.,-1.], requires_grad=True), r(4)
//   torch.maximum(p, q).backward(dy)                                                     # max
//   x, dy = torch.tensor([[1.,3.,3.],[2.,0.,1.]], requires_grad=True), r(2); torch.amax(x, 1).backward(dy)
//   x, dy = torch.tensor([-4.,-3.,-1.,0.,3.,4.], requires_grad=True), r(6); F.hardswish(x).backward(dy)
//   torch.manual_seed(1)                                                                 # lnstats
//   x, w, dy = r(2,3,4).requires_grad_(), r(4).requires_grad_(), r(2,3,4)
//   m = x.mean(-1, keepdim=True); v = ((x - m) ** 2).mean(-1, keepdim=True); s = 1 / torch.sqrt(v + 1e-5)
//   ((x - m) * s * w + m + 0.1 * s).backward(dy)
//   (each tensor printed with '%.8g' in order)
const T = {
  ln: { x: [-1.126, -1.152, -0.25099999, -0.43399999, 0.84899998, 0.69199997, -0.31600001, -2.115, 0.46799999, -0.15800001, 1.444, 0.266, 0.16599999, 0.87400001, -0.14300001, -0.112, 0.93199998, 1.2589999, 2.0050001, 0.054000001, 0.61799997, -0.41299999, -0.84100002, -2.316], w: [0.37, 1.457, 0.94, 0.77499998], b: [0.192, 1.2640001, -1.29, -0.79100001], dy: [0.206, -0.44999999, -0.57300001, -0.55500001, 0.59399998, 1.5420001, 0.50700003, -0.59100002, -0.093000002, 0.68699998, -0.838, 0.001, 0.84200001, -0.40000001, 1.039, 0.35800001, -0.24600001, 2.303, -1.882, -0.050000001, -1.045, -0.95700002, 0.034000002, 0.70999998], dx: [0.92010105, -0.90867651, -0.086030006, 0.074605942, -0.8468011, 0.9443745, -0.078333974, -0.019239545, -0.19905639, 0.48064482, 0.20707381, -0.48866209, 0.070275545, 0.0042829514, 0.77030051, -0.84485877, -0.74103189, 4.409111, -2.3897386, -1.2783401, 0.45259243, -0.91015714, 0.27397099, 0.18359375], dw: [-1.0122198, 0.56659299, -5.4728484, -0.73516923], db: [0.25800002, 2.7250001, -1.7129999, -0.12699997] },
  sm: { x: [2.0580001, -0.035, 0.063000001, -0.76599997, 1.099, 2.757, 0.175, -0.93199998, -1.505, -0.66100001], dy: [1.323, 0.037, -0.285, -0.133, 1.893, 3.1110001, -0.458, -0.336, -1.5700001, 1.232], dx: [0.084670909, -0.082735844, -0.11698727, -0.045761213, 0.16081342, 0.36729115, -0.20743065, -0.065908372, -0.052317832, -0.041634314] },
  sm11: { x: [1.14, -0.090000004, 0.73000002, -1.845, -0.025, 1.369, 2.6570001, 0.98500001, 0.96700001, -0.991, 0.30199999, -0.107, 0.99800003, -0.49900001, 0.76099998, 0.61799997, 0.31400001, 0.213, -0.12, 0.36000001, -0.31400001, -1.079, 0.241, -1.396], dy: [-0.066, -0.35800001, -1.562, -0.35499999, 1.081, 0.131, 1.574, 0.78100002, -0.51099998, -1.714, -0.50999999, -0.47499999, -0.63300002, -1.4680001, -0.87800002, -2.0780001, -1.1, -0.72000003, 0.012, 0.34, -0.26300001, 1.28, 0.018999999, -0.88099998], dx: [-0.060025986, -0.025543796, -0.13287987, -0.0044024992, 0.014805954, -0.052259974, 0.42699265, 0.016573198, -0.085568756, -0.025461636, -0.043965209, -0.02826413, 0.0099077513, -0.031961162, -0.027537307, -0.17395918, -0.038099393, -0.0027386593, 0.041806906, 0.099258706, 0.020890679, 0.045083549, 0.060583554, -0.0032353599] },
  gemm: { a: [0.49900001, -0.523, -0.25099999, -1.056, -0.55900002, -0.12, -0.164, -0.25, -1.0880001, 0.0040000002, 0.233, -0.81999999], b: [-1.478, -1.756, 0.075999998, -1.079, 0.58499998, -1.156, -0.14300001, -0.19499999, 1.49, -0.70099998, 0.18099999, 1.362, -0.366, -1.327, 1.6950001, 2.0650001, 0.25799999, -0.565, 0.92799997, 0.48300001], c: [-1.253, -0.059, 1.188, 1.225, -0.852], dy: [-1.194, 1.108, 0.65799999, -0.041999999, 0.458, 0.145, -1.419, 2.0439999, 0.96399999, 0.32800001, -1.444, -1.3839999, -0.79900002, -0.92799997, 0.77499998], da: [1.7634341, 0.07576099, 0.111872, 1.051473, 0.86646748, -0.75582391, 1.2611325, 2.5266309, 0.33684003, 2.7446241, -0.45510551, -0.40113848], db: [0.44710556, 0.300643, -0.030269012, 1.204347, 1.4259526, -0.20737003, -0.18393198, 0.15979099, 0.027529001, -0.296305, -0.34327048, -0.27533397, 0.22491503, -0.048712999, -0.181889, 0.28215599, -0.399005, -0.137897, 0.0059124976, -0.60057402], dc: [-4.9860001, -3.3899999, 3.8059998, -0.011999965, 3.122] },
  lnstats: { x: [-1.526, -0.75, -0.65399998, -1.609, -0.1, -0.60900003, -0.98000002, -1.609, 0.43900001, 1.171, 1.767, -0.094999999, 0.139, -1.579, -0.32100001, -0.29899999, -0.79799998, 0.336, 0.27500001, 1.716, -0.056000002, 0.91100001, -1.392, 2.6889999], w: [3.5869999, -1.831, 1.599, -1.277], dy: [-0.92699999, 0.54500002, 0.066, -0.43700001, 0.76300001, 0.442, 1.165, 2.0150001, 0.98400003, 0.87900001, -1.45, -1.1799999, 0.41, 0.40799999, 0.25799999, 1.095, 1.326, 0.85500002, -0.28099999, 0.69999999, -1.457, 1.609, 0.093999997, -1.26], dx: [-4.9824934, -1.1123044, 1.2408934, 4.100904, 1.1942136, -2.2135484, 4.8566122, 0.5477221, 2.9076562, -1.4823071, -0.14502132, -2.0473275, 1.8520117, 1.247987, 0.9660399, -1.8950384, 2.7946095, -1.7263843, -0.6134975, 2.1452727, -2.4608402, -1.3005477, 1.6706827, 1.0767052], dw: [0.5542953, 0.77270389, -2.2062054, -1.2773941] },
  relu6: { x: [-1.0, 0.0, 0.5, 3.0, 6.0, 7.0], dy: [1.237, -0.76999998, -0.99199998, 1.698, 0.116, -0.92299998], dx: [0.0, 0.0, -0.99199998, 1.698, 0.0, 0.0] },
  max: { p: [1.0, 2.0, 3.0, -1.0], q: [1.0, 1.0, 4.0, -1.0], dy: [1.027, -1.1210001, 0.73100001, -0.044], dp: [0.51349998, -1.1210001, 0.0, -0.022], dq: [0.51349998, 0.0, 0.73100001, -0.022] },
  amax: { x: [1.0, 3.0, 3.0, 2.0, 0.0, 1.0], dy: [1.163, 0.152], dx: [0.0, 0.58149999, 0.58149999, 0.152, 0.0, 0.0] },
  hswish: { x: [-4.0, -3.0, -1.0, 0.0, 3.0, 4.0], dy: [0.70899999, 0.40700001, -1.938, -1.28, -1.348, 0.059999999], dx: [0.0, -0.2035, -0.32299998, -0.63999999, -2.0220001, 0.059999999] },
};
const EXACT = 1e-5;

describe('math rules against torch.autograd', () => {
  it('LayerNormalization (x, scale, bias)', async () => {
    const [dx, dw, db] = await vjp((b, [x, w, c]) => b.op('LayerNormalization', [x, w, c], { epsilon: f(1e-5) }),
      [{ shape: [2, 3, 4], data: T.ln.x }, { shape: [4], data: T.ln.w }, { shape: [4], data: T.ln.b }], T.ln.dy);
    expect(maxAbsDiff(dx, T.ln.dx)).toBeLessThan(EXACT);
    expect(maxAbsDiff(dw, T.ln.dw)).toBeLessThan(EXACT);
    expect(maxAbsDiff(db, T.ln.db)).toBeLessThan(EXACT);
  });
  it('LayerNormalization with its Mean and InvStdDev outputs used', async () => {
    const [dx, dw] = await vjp((b, [x, w]) => {
      const [y, m, s] = b.opN('LayerNormalization', [x, w], 3, { epsilon: f(1e-5) });
      return b.add(b.add(y, m), b.mul(s, sc(b, 0.1)));
    }, [{ shape: [2, 3, 4], data: T.lnstats.x }, { shape: [4], data: T.lnstats.w }], T.lnstats.dy);
    expect(maxAbsDiff(dx, T.lnstats.dx)).toBeLessThan(EXACT);
    expect(maxAbsDiff(dw, T.lnstats.dw)).toBeLessThan(EXACT);
  });
  it('Softmax axis -1 (opset 13)', async () => {
    const [dx] = await vjp((b, [x]) => b.op('Softmax', [x], { axis: -1 }), [{ shape: [2, 5], data: T.sm.x }], T.sm.dy, 13);
    expect(maxAbsDiff(dx, T.sm.dx)).toBeLessThan(EXACT);
  });
  it('Softmax axis 1 coerced to 2-D (opset 11)', async () => {
    const [dx] = await vjp((b, [x]) => b.op('Softmax', [x], { axis: 1 }), [{ shape: [2, 3, 4], data: T.sm11.x }], T.sm11.dy, 11);
    expect(maxAbsDiff(dx, T.sm11.dx)).toBeLessThan(EXACT);
  });
  it('Gemm transB, alpha 0.5, beta 2, C [N]', async () => {
    const [da, db, dc] = await vjp((b, [a, w, c]) => b.op('Gemm', [a, w, c], { transB: 1, alpha: f(0.5), beta: f(2) }),
      [{ shape: [3, 4], data: T.gemm.a }, { shape: [5, 4], data: T.gemm.b }, { shape: [5], data: T.gemm.c }], T.gemm.dy);
    expect(maxAbsDiff(da, T.gemm.da)).toBeLessThan(EXACT);
    expect(maxAbsDiff(db, T.gemm.db)).toBeLessThan(EXACT);
    expect(maxAbsDiff(dc, T.gemm.dc)).toBeLessThan(EXACT);
  });
  for (const opset of [13, 10]) {
    it(`Clip(0, 6) = ReLU6 at its bounds (opset ${opset}): zero gradient at 0 and 6, as relu6`, async () => {
      const build: Build = opset >= 11 ? (b, [x]) => b.op('Clip', [x, sc(b, 0), sc(b, 6)]) : un('Clip', { min: f(0), max: f(6) });
      const [dx] = await vjp(build, [{ shape: [6], data: T.relu6.x }], T.relu6.dy, opset);
      expect(maxAbsDiff(dx, T.relu6.dx)).toBeLessThan(EXACT);
    });
  }
  it('Max with ties splits the gradient like torch.maximum', async () => {
    const [dp, dq] = await vjp((b, [p, q]) => b.op('Max', [p, q]), [{ shape: [4], data: T.max.p }, { shape: [4], data: T.max.q }], T.max.dy);
    expect(maxAbsDiff(dp, T.max.dp)).toBeLessThan(EXACT);
    expect(maxAbsDiff(dq, T.max.dq)).toBeLessThan(EXACT);
  });
  it('ReduceMax with ties splits the gradient like torch.amax', async () => {
    const [dx] = await vjp(un('ReduceMax', { axes: [1], keepdims: 0 }), [{ shape: [2, 3], data: T.amax.x }], T.amax.dy);
    expect(maxAbsDiff(dx, T.amax.dx)).toBeLessThan(EXACT);
  });
  it('HardSwish at its breakpoints ±3 like torch.hardswish', async () => {
    const [dx] = await vjp(un('HardSwish'), [{ shape: [6], data: T.hswish.x }], T.hswish.dy);
    expect(maxAbsDiff(dx, T.hswish.dx)).toBeLessThan(EXACT);
  });
});

describe('emitted gradients stay WebGPU-safe', () => {
  const BANNED = new Set(['LogSoftmax', 'OneHot', 'ScatterElements', 'TopK', 'Sign', 'SoftmaxCrossEntropyLoss']);
  it('no banned op, no variadic Max/Min/Sum, no int64 or float64 results in any row', () => {
    for (const [name, build, inputs, opset] of rows) {
      if (name.startsWith('Cast float32→float64')) continue; // its forward is float64 on purpose
      const { gradNodes } = buildCheck(build, inputs, opset ?? 17);
      for (const n of gradNodes) {
        const where = `${name}: ${n.opType} '${n.name}'`;
        expect(BANNED.has(n.opType), where).toBe(false);
        if (['Max', 'Min', 'Sum'].includes(n.opType)) expect(n.inputs.length, where).toBeLessThanOrEqual(2);
        for (const o of n.outputs) expect(['float32', 'bool'], `${where} → ${o.dtype}`).toContain(o.dtype);
      }
    }
  });
  it('sizes stay static: no Shape op is emitted', () => {
    for (const [, build, inputs, opset] of rows) {
      const { gradNodes } = buildCheck(build, inputs, opset ?? 17);
      expect(gradNodes.some((n) => n.opType === 'Shape')).toBe(false);
    }
  });
});
