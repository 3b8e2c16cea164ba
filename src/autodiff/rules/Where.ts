// Where: y = cond ? a : b  →  da = Where(cond, dy, 0), db = Where(cond, 0, dy). The condition is not
// differentiable; broadcast dimensions are reduced by the walk.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Where',
  nondiff: [0],
  grad: ({ b, I, GO, needs }) => {
    const c = I(0), dy = GO(0)!, zero = b.scalar(0, dy.dtype);
    return [
      null,
      needs(1) ? b.op('Where', [c, dy, zero]) : null,
      needs(2) ? b.op('Where', [c, zero, dy]) : null,
    ];
  },
};
