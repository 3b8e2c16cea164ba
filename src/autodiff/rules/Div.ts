// Div: y = a / b  →  da = dy / b,  db = −dy · a / b² = −(dy / b) · y  (t = dy / b is shared).
// Integer division has an integer output, which the walk never marks as carrying a gradient.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Div',
  grad: ({ b, I, O, GO, needs }) => {
    const t = b.div(GO(0)!, I(1));
    return [needs(0) ? t : null, needs(1) ? b.neg(b.mul(t, O(0))) : null];
  },
};
