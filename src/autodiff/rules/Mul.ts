// Mul: y = a · b  →  da = dy · b, db = dy · a (broadcast dimensions reduced by the walk).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Mul',
  grad: ({ b, I, GO, needs }) => [
    needs(0) ? b.mul(GO(0)!, I(1)) : null,
    needs(1) ? b.mul(GO(0)!, I(0)) : null,
  ],
};
