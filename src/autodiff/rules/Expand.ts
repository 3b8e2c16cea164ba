// Expand: y = broadcast(x, shape)  →  dx = dy summed over the broadcast axes — exactly what the backward walk's
// unbroadcast does with a gradient in the output's shape, so the rule passes dy through. shape is not differentiable.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Expand',
  nondiff: [1],
  grad: ({ GO }) => [GO(0), null],
};
