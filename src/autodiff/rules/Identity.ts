// Identity: y = x  →  dx = dy.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Identity',
  grad: ({ GO }) => [GO(0)],
};
