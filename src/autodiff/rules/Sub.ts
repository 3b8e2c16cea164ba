// Sub: y = a − b  →  da = dy, db = −dy (the walk reduces broadcast dimensions).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Sub',
  grad: ({ b, GO, needs }) => [GO(0), needs(1) ? b.neg(GO(0)!) : null],
};
