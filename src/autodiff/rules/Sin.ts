// Sin: y = sin x  →  dx = dy · cos x.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Sin',
  grad: ({ b, I, GO }) => [b.mul(GO(0)!, b.op('Cos', [I(0)]))],
};
