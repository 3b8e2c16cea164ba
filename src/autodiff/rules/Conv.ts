// Conv: y[n,m,o] = Σ_{c ∈ group(m), k} x[n, c, o·s + k·d − p_b] · W[m, c, k] + B[m]   (x zero outside [0, D)).
//   dx = ConvTranspose(dy, W; group, strides s, dilations d, pads p_b / p_e′, output_padding) — the exact adjoint;
//        p_e′ / output_padding trim or extend its natural size s·(O−1) + (K−1)·d + 1 − p_b to exactly D.
//   dW[m,c,k] = Σ_{n,o} dy[n,m,o] · x[n, g·C/g + c, o·s + k·d − p_b]: a Conv whose batch is c, whose channels are
//        (group, n) and whose kernel is dy (as [M, N, O]), with strides d, dilations s, group g; sliced to K.
//   dB[m] = Σ_{n,o} dy[n,m,o].
//   With unit strides and a constant W (a frozen backbone's), dx is instead a plain Conv of dy with W′[g·C/g + c, m,
//        k] = W[g·M/g + m, c, K−1−k] (flipped, in/out swapped per group), pads (K−1)·d − p: the same sum, but
//        onnxruntime runs Conv on its blocked (NCHWc) kernels, about 2× faster than its ConvTranspose on a CPU.
// auto_pad SAME_UPPER/SAME_LOWER/VALID resolve to explicit pads. 1-D convs are lifted to 2-D (WebGPU's
// ConvTranspose is 2-D). Exports the geometry helpers ConvTranspose, MaxPool and AveragePool share.
import type { Builder } from '../../onnx/builder.ts';
import type { Node, Value } from '../../onnx/ir.ts';
import type { Tensor } from '../../onnx/tensor.ts';
import type { RuleSpec } from '../types.ts';
import { slice } from './Slice.ts';

export interface Geo { k: number[]; s: number[]; d: number[]; pb: number[]; pe: number[] }

/** Kernel, strides, dilations and explicit begin/end pads of a conv-like node (auto_pad resolved). */
export function geometry(n: Node, inSp: number[], outSp: number[], k: number[]): Geo {
  const sp = inSp.length, ones = Array(sp).fill(1);
  const s = n.attrInts('strides', ones), d = n.attrInts('dilations', ones);
  const auto = n.attrString('auto_pad', 'NOTSET');
  const pads = auto === 'NOTSET' ? n.attrInts('pads', Array(2 * sp).fill(0)) : Array(2 * sp).fill(0);
  if (auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
    for (let i = 0; i < sp; i++) {
      const total = Math.max(0, (outSp[i] - 1) * s[i] + (k[i] - 1) * d[i] + 1 - inSp[i]);
      pads[i] = auto === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
      pads[i + sp] = total - pads[i];
    }
  }
  return { k, s, d, pb: pads.slice(0, sp), pe: pads.slice(sp) };
}

/** Adds a leading unit spatial axis to a 1-D problem (values and geometry); `unlift` undoes it on a value. */
export const lift = (b: Builder, v: Value): Value => b.reshape(v, [v.dims[0], v.dims[1], 1, ...v.dims.slice(2)]);
export const liftGeo = (g: Geo): Geo => ({ k: [1, ...g.k], s: [1, ...g.s], d: [1, ...g.d], pb: [0, ...g.pb], pe: [0, ...g.pe] });
export const unlift = (b: Builder, v: Value): Value => b.reshape(v, [v.dims[0], v.dims[1], ...v.dims.slice(3)]);

/** ConvTranspose of `x` with `w` and geometry `g` whose spatial output size is exactly `outSp`. */
export function convTransposeTo(b: Builder, x: Value, w: Value, group: number, g: Geo, outSp: number[]): Value {
  const pe: number[] = [], op: number[] = [];
  outSp.forEach((want, i) => {
    const extra = g.s[i] * (x.dims[i + 2] - 1) + (g.k[i] - 1) * g.d[i] + 1 - g.pb[i] - want;
    pe.push(Math.max(extra, 0));
    op.push(Math.max(-extra, 0));
  });
  const attrs: Record<string, number | number[]> = { group, strides: g.s, dilations: g.d, pads: [...g.pb, ...pe], kernel_shape: g.k };
  if (op.some((p) => p > 0)) attrs.output_padding = op;
  // onnxruntime 1.30's native WebGPU ConvTranspose is wrong for group > 1 with an even number of inputs and a
  // single output per group: give each group a second, all-zero output channel and drop it afterwards.
  if (group > 1 && w.dims[1] === 1 && (x.dims[1] / group) % 2 === 0) {
    const zeros = b.op('Expand', [b.scalar(0, w.dtype), b.constI64(w.dims)]);
    const y2 = b.op('ConvTranspose', [x, b.op('Concat', [w, zeros], { axis: 1 })], attrs);
    const [n, , ...sp] = y2.dims;
    const one = slice(b, b.reshape(y2, [n, group, 2, ...sp]), [0], [1], [2]);
    return b.reshape(one, [n, group, ...sp]);
  }
  return b.op('ConvTranspose', [x, w], attrs);
}

/** dW of Conv(x, W) with gradient dy (see header); x: [N, C, *S], dy: [N, M, *O], result [M, C/g, *K]. */
export function convWeightGrad(b: Builder, x: Value, dy: Value, group: number, g: Geo): Value {
  const [n, c, ...sp] = x.dims, cg = c / group, r = sp.length;
  const tail = [...Array(r).keys()].map((i) => i + 3);
  let xt = b.reshape(x, [n, group, cg, ...sp]);
  xt = b.reshape(b.transpose(xt, [2, 1, 0, ...tail]), [cg, group * n, ...sp]);
  const dyt = b.transpose(dy, [1, 0, ...tail.map((t) => t - 1)]);
  let w = b.op('Conv', [xt, dyt], { group, strides: g.d, dilations: g.s, pads: [...g.pb, ...g.pe] });
  const axes = [...Array(r).keys()].map((i) => i + 2);
  if (axes.some((a, i) => w.dims[a] !== g.k[i])) w = slice(b, w, axes.map(() => 0), g.k, axes);
  return b.transpose(w, [1, 0, ...axes]);
}

/** W′ of the header: the unit-stride input-gradient kernel of a constant conv weight [M, C/g, *K] → [C, M/g, *K]. */
export function flippedKernel(w: Tensor, group: number): Tensor {
  const [M, Cg, ...K] = w.shape, Mg = M / group, C = Cg * group, area = K.reduce((a, k) => a * k, 1);
  const src = w.data as Float32Array, out = new Float32Array(src.length);
  for (let gi = 0; gi < group; gi++) for (let m = 0; m < Mg; m++) for (let c = 0; c < Cg; c++) {
    const from = ((gi * Mg + m) * Cg + c) * area, to = ((gi * Cg + c) * Mg + m) * area;
    for (let k = 0; k < area; k++) out[to + k] = src[from + area - 1 - k];
  }
  return { dtype: 'float32', shape: [C, Mg, ...K], data: out };
}

/** dx as a unit-stride Conv (see header), or undefined when the strides, pads, dtype or a non-constant W rule it out. */
function inputGradAsConv(b: Builder, dy: Value, w: Value, group: number, g: Geo): Value | undefined {
  const t = w.constant;
  if (!t || t.dtype !== 'float32' || g.s.some((s) => s !== 1)) return undefined;
  const pb = g.k.map((k, i) => (k - 1) * g.d[i] - g.pb[i]), pe = g.k.map((k, i) => (k - 1) * g.d[i] - g.pe[i]);
  if ([...pb, ...pe].some((p) => p < 0)) return undefined;
  const f = flippedKernel(t, group);
  const wf = b.constF(f.data as Float32Array, f.shape, 'wflip');
  return b.op('Conv', [dy, wf], { group, dilations: g.d, pads: [...pb, ...pe], kernel_shape: g.k, strides: g.s });
}

export const rule: RuleSpec = {
  op: 'Conv',
  grad: ({ b, node, I, GO, needs }) => {
    const group = node.attrInt('group', 1), flat = I(0).dims.length === 3;
    let geo = geometry(node, I(0).dims.slice(2), GO(0)!.dims.slice(2), I(1).dims.slice(2));
    const [x, w, dy] = flat ? [lift(b, I(0)), lift(b, I(1)), lift(b, GO(0)!)] : [I(0), I(1), GO(0)!];
    if (flat) geo = liftGeo(geo);
    const back = (v: Value) => (flat ? unlift(b, v) : v);
    const dx = needs(0) ? back((!flat && inputGradAsConv(b, dy, w, group, geo)) || convTransposeTo(b, dy, w, group, geo, x.dims.slice(2))) : null;
    const dw = needs(1) ? back(convWeightGrad(b, x, dy, group, geo)) : null;
    const spatial = GO(0)!.dims.slice(2).map((_, i) => i + 2);
    const db = node.hasInput(2) && needs(2) ? b.reduceSum(GO(0)!, [0, ...spatial], false) : null;
    return [dx, dw, db];
  },
};
