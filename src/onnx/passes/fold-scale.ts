// Pass: a multiplication by a scalar constant that only feeds a Gemm becomes the Gemm's alpha. Gradient rules end
// in such scalings (the GELU backward's ½, a Div by a constant) right before the input-gradient Gemm of the next
// linear layer; onnxruntime folds a scalar into MatMul (FusedMatMul's alpha) but not into Gemm, so each cost a full
// elementwise pass.
// Matches Gemm input A or B = Mul(t, c) | Mul(c, t), optionally through one Reshape, where c is a one-element float
// constant and every value on the way has that single user and is not a graph output.
// Invariants after: every graph output has the same value up to float rounding (c·(A·B) instead of (c·A)·B); the
// matched Mul is gone, the Reshape (if any) now reads t; no other node changes; order stays topological.
import type { Graph, Node } from '../ir.ts';
import { scalarOf, soleUser } from './match.ts';

export function foldScaleIntoGemm(g: Graph): number {
  let folded = 0;
  for (const gemm of g.nodes.filter((n) => n.opType === 'Gemm' && n.domain === '')) {
    for (const i of [0, 1]) {
      const v = gemm.inputs[i];
      if (!v?.producer || soleUser(g, v) !== gemm) continue;
      let reshape: Node | undefined, mulOut = v;
      if (v.producer.opType === 'Reshape' && v.producer.domain === '') {
        reshape = v.producer;
        const r = reshape.inputs[0];
        if (!r?.producer || soleUser(g, r) !== reshape) continue;
        mulOut = r;
      }
      const mul = mulOut.producer!;
      if (mul.opType !== 'Mul' || mul.domain !== '') continue;
      const [p, q] = mul.inputs;
      const c = scalarOf(q) ?? scalarOf(p);
      const t = scalarOf(q) !== undefined ? p : q;
      if (c === undefined || !t || t.constant) continue;
      gemm.attrs.alpha = { type: 'float', value: gemm.attrFloat('alpha', 1) * c };
      g.removeNode(mul);
      if (reshape) g.setInput(reshape, 0, t); else g.setInput(gemm, i, t);
      folded++;
    }
  }
  if (folded) g.pruneValues();
  return folded;
}
