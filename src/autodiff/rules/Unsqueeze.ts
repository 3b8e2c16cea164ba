// Unsqueeze: y = x with unit axes inserted (axes an input from opset 13, attribute before)  →
// dx = reshape(dy, shape(x)). The axes input is not differentiable.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Unsqueeze',
  nondiff: [1],
  grad: ({ b, I, GO }) => [b.reshape(GO(0)!, I(0).dims)],
};
