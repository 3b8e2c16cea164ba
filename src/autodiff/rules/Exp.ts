// Exp: y = eˣ  →  dx = dy · y.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Exp',
  grad: ({ b, O, GO }) => [b.mul(GO(0)!, O(0))],
};
