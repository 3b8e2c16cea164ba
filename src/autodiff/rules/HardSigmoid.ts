// HardSigmoid: y = max(0, min(1, αx + β)), α = 0.2, β = 0.5 by default  →  dx = α·dy where 0 < αx + β < 1.
// Strict at both ends, as torch's hardsigmoid_backward (zero gradient at x = ±3 for α = 1/6); the test is
// made on the output y, which equals αx + β exactly inside the linear part.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'HardSigmoid',
  grad: ({ b, node, O, GO }) => {
    const y = O(0), dt = y.dtype, zero = b.scalar(0, dt);
    const alpha = node.attrFloat('alpha', 0.2);
    const inner = b.op('Where', [b.op('Less', [y, b.scalar(1, dt)]), b.mul(GO(0)!, b.scalar(alpha, dt)), zero]);
    return [b.op('Where', [b.op('Greater', [y, zero]), inner, zero])];
  },
};
