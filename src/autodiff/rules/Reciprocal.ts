// Reciprocal: y = 1 / x  →  dx = −dy / x² = −dy · y².
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Reciprocal',
  grad: ({ b, O, GO }) => [b.neg(b.mul(GO(0)!, b.mul(O(0), O(0))))],
};
