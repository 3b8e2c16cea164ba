// Sigmoid: y = 1 / (1 + e^(−x))  →  dx = dy · y · (1 − y).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Sigmoid',
  grad: ({ b, O, GO }) => {
    const y = O(0);
    return [b.mul(GO(0)!, b.mul(y, b.sub(b.scalar(1, y.dtype), y)))];
  },
};
