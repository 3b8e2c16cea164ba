// Cos: y = cos x  →  dx = −dy · sin x.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Cos',
  grad: ({ b, I, GO }) => [b.neg(b.mul(GO(0)!, b.op('Sin', [I(0)])))],
};
