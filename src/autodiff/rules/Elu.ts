// Elu: y = x for x > 0, α(eˣ − 1) otherwise (α = 1 by default)
//   →  dx = dy for x > 0, dy · α·eˣ = dy · (y + α) otherwise (α at x = 0, as torch's elu_backward).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Elu',
  grad: ({ b, node, I, O, GO }) => {
    const x = I(0), dy = GO(0)!;
    const alpha = b.scalar(node.attrFloat('alpha', 1), x.dtype);
    const neg = b.mul(dy, b.add(O(0), alpha));
    return [b.op('Where', [b.op('Greater', [x, b.scalar(0, x.dtype)]), dy, neg])];
  },
};
