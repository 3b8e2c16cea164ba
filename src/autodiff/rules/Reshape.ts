// Reshape: y = reshape(x, s)  →  dx = reshape(dy, shape(x)). The target shape input is not differentiable.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Reshape',
  nondiff: [1],
  grad: ({ b, I, GO }) => [b.reshape(GO(0)!, I(0).dims), null],
};
