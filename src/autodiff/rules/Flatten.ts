// Flatten: y = reshape(x, [prod(dims before axis), prod(dims from axis)])  →  dx = reshape(dy, shape(x)).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Flatten',
  grad: ({ b, I, GO }) => [b.reshape(GO(0)!, I(0).dims)],
};
