// Add: y = a + b  →  da = dy, db = dy (the walk reduces broadcast dimensions).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Add',
  grad: ({ GO }) => [GO(0), GO(0)],
};
