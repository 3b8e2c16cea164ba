// Gemm: Y = α·A'·B' + β·C, A' = transA ? Aᵀ : A, B' = transB ? Bᵀ : B; C broadcasts (the walk reduces it).
//   dA' = α·dY·B'ᵀ, dB' = α·A'ᵀ·dY, so each gradient is one Gemm with the right transposes:
//     dA = transA ? α·B'·dYᵀ : α·dY·B'ᵀ      dB = transB ? α·dYᵀ·A' : α·A'ᵀ·dY      dC = β·dY
// C is optional from opset 11; earlier opsets get a scalar 0 for it.
import type { Value } from '../../onnx/ir.ts';
import { f } from '../../onnx/builder.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Gemm',
  grad: ({ b, node, opset, I, GO, needs }) => {
    const A = I(0), B = I(1), dY = GO(0)!;
    const alpha = node.attrFloat('alpha', 1), beta = node.attrFloat('beta', 1);
    const tA = node.attrInt('transA', 0), tB = node.attrInt('transB', 0);
    const gemm = (p: Value, q: Value, transA: number, transB: number): Value => {
      const inputs = opset >= 11 ? [p, q] : [p, q, b.scalar(0, A.dtype)];
      return b.op('Gemm', inputs, { alpha: f(alpha), transA, transB });
    };
    let dA: Value | null = null, dB: Value | null = null, dC: Value | null = null;
    if (needs(0)) dA = tA ? gemm(B, dY, tB, 1) : gemm(dY, B, 0, tB ? 0 : 1);
    if (needs(1)) dB = tB ? gemm(dY, A, 1, tA) : gemm(A, dY, tA ? 0 : 1, 0);
    if (node.hasInput(2) && needs(2)) dC = beta === 1 ? dY : b.mul(dY, b.scalar(beta, dY.dtype));
    return [dA, dB, dC];
  },
};
