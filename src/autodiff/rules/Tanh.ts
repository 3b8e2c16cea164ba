// Tanh: y = tanh x  →  dx = dy · (1 − y²).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Tanh',
  grad: ({ b, O, GO }) => {
    const y = O(0);
    return [b.mul(GO(0)!, b.sub(b.scalar(1, y.dtype), b.mul(y, y)))];
  },
};
