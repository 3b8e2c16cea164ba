// MatMul (numpy semantics): Y = A @ B  →  dA = dY @ Bᵀ, dB = Aᵀ @ dY, over the last two axes; batch axes
// broadcast (the walk sums them away). 1-D operands are promoted to matrices first and the result reshaped back.
// A constant 2-D B (a frozen weight) gives dA as Gemm(dY, B, transB=1) over dY's rows: a Transpose of a constant
// would be folded by onnxruntime into a second, transposed copy of the weight (~300 MiB on ViT-B/16).
import type { Builder } from '../../onnx/builder.ts';
import type { Value } from '../../onnx/ir.ts';
import type { RuleSpec } from '../types.ts';

const swapLast = (b: Builder, x: Value): Value => {
  const r = x.dims.length;
  return b.transpose(x, [...Array(r - 2).keys(), r - 1, r - 2]);
};

/** Sums the batch axes of a promoted 1-D operand's gradient and drops the unit axis. */
const demote = (b: Builder, g: Value, target: number[]): Value => {
  const batch = [...Array(g.dims.length - 2).keys()];
  return b.reshape(batch.length ? b.reduceSum(g, batch, false) : g, target);
};

export const rule: RuleSpec = {
  op: 'MatMul',
  grad: ({ b, I, GO, needs }) => {
    let A = I(0), B = I(1), dY = GO(0)!;
    const a1 = A.dims.length === 1, b1 = B.dims.length === 1;
    if (a1) A = b.reshape(A, [1, A.dims[0]]);
    if (b1) B = b.reshape(B, [B.dims[0], 1]);
    if (a1 || b1) {
      const ys = [...dY.dims];
      if (b1) ys.push(1);
      if (a1) ys.splice(ys.length - 1, 0, 1);
      dY = b.reshape(dY, ys);
    }
    let dA: Value | null = null, dB: Value | null = null;
    if (needs(0)) {
      if (B.constant && B.dims.length === 2 && !b1 && !a1) {
        const [K, N] = B.dims, lead = dY.dims.slice(0, -1);
        const rows = lead.reduce((p, d) => p * d, 1);
        const g = b.op('Gemm', [lead.length === 1 ? dY : b.reshape(dY, [rows, N]), B], { transB: 1 });
        dA = lead.length === 1 ? g : b.reshape(g, [...lead, K]);
      } else dA = b.op('MatMul', [dY, swapLast(b, B)]);
      if (a1) dA = demote(b, dA, I(0).dims);
    }
    if (needs(1)) {
      dB = b.op('MatMul', [swapLast(b, A), dY]);
      if (b1) dB = demote(b, dB, I(1).dims);
    }
    return [dA, dB];
  },
};
