// Squeeze: y = x without the listed unit axes (axes an input from opset 13, attribute before)  →
// dx = reshape(dy, shape(x)). The axes input is not differentiable.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Squeeze',
  nondiff: [1],
  grad: ({ b, I, GO }) => [b.reshape(GO(0)!, I(0).dims)],
};
