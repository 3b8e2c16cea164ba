// Einsum without ellipsis or repeated labels (what exporters emit, e.g. relative-position terms
// 'bhwc,hkc->bhwk' and 'bhwc,wkc->bhwk'): y_out = Σ over the other labels of Π_j x_j. Each operand's gradient is
// one more Einsum of dy and the other operands:
//   dx_i = Einsum('out,term_1,…(without term_i)…->term_i', dy, x_1, …)
// since Σ over the labels outside term_i is exactly what that equation sums. This needs every label of term_i
// in the output or another term: a label summed over one operand alone (e.g. 'ij,jk->k' for i) would have to be
// broadcast back, and a repeated label (a diagonal, e.g. 'ii->i') needs a scatter: both are refused, naming the
// equation. An implicit output (no '->') is the labels used once, sorted, as in onnxruntime.
import { einsumTerms } from '../../onnx/shapes.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Einsum',
  grad: ({ b, node, GO, needs }) => {
    const eq = node.attrString('equation');
    const { inputs: terms, output } = einsumTerms(node);
    const refuse = (why: string): never => { throw new Error(`Einsum '${node.name}' gradient: equation '${eq}' ${why}`); };
    for (const t of terms) if (new Set(t).size !== t.length) refuse(`repeats a label in '${t}' (a diagonal)`);
    return terms.map((t, i) => {
      if (!needs(i)) return null;
      const others = terms.filter((_, j) => j !== i), inputs = node.inputs.filter((_, j) => j !== i);
      const seen = new Set([...output, ...others.join('')]);
      const lone = [...t].find((l) => !seen.has(l));
      if (lone) refuse(`sums label '${lone}' over operand ${i} alone`);
      return b.op('Einsum', [GO(0)!, ...inputs], { equation: `${[output, ...others].join(',')}->${t}` });
    });
  },
};
