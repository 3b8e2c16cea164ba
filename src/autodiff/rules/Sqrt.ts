// Sqrt: y = √x  →  dx = dy / (2y)  (infinite at x = 0, like torch).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Sqrt',
  grad: ({ b, O, GO }) => [b.div(b.mul(GO(0)!, b.scalar(0.5, O(0).dtype)), O(0))],
};
