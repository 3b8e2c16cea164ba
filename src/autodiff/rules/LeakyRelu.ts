// LeakyRelu: y = x for x > 0, αx otherwise (α = 0.01 by default)  →  dx = dy for x > 0, α·dy otherwise
// (the slope α at x = 0, as torch's leaky_relu_backward).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'LeakyRelu',
  grad: ({ b, node, I, GO }) => {
    const x = I(0), dy = GO(0)!;
    const alpha = b.scalar(node.attrFloat('alpha', 0.01), x.dtype);
    return [b.op('Where', [b.op('Greater', [x, b.scalar(0, x.dtype)]), dy, b.mul(dy, alpha)])];
  },
};
