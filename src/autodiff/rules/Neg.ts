// Neg: y = −x  →  dx = −dy.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Neg',
  grad: ({ b, GO }) => [b.neg(GO(0)!)],
};
