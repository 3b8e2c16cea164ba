// Abs: y = |x|  →  dx = dy · sign(x), with sign(0) = 0 as in torch. Built from Where (Sign is not in JSEP).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Abs',
  grad: ({ b, I, GO }) => {
    const x = I(0), dy = GO(0)!, zero = b.scalar(0, x.dtype);
    const neg = b.op('Where', [b.op('Less', [x, zero]), b.neg(dy), zero]);
    return [b.op('Where', [b.op('Greater', [x, zero]), dy, neg])];
  },
};
