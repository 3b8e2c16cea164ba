// Softplus: y = ln(1 + eˣ)  →  dx = dy · σ(x).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Softplus',
  grad: ({ b, I, GO }) => [b.mul(GO(0)!, b.op('Sigmoid', [I(0)]))],
};
