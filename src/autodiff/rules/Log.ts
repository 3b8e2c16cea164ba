// Log: y = ln x  →  dx = dy / x.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Log',
  grad: ({ b, I, GO }) => [b.div(GO(0)!, I(0))],
};
