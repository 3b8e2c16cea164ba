// Transpose: y = transpose(x, perm) (default perm reverses the axes)  →  dx = transpose(dy, perm⁻¹).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Transpose',
  grad: ({ b, node, I, GO }) => {
    const r = I(0).dims.length;
    const perm = node.attrInts('perm', [...Array(r).keys()].reverse());
    const inv = Array<number>(r);
    perm.forEach((p, i) => { inv[p] = i; });
    return [b.transpose(GO(0)!, inv)];
  },
};
