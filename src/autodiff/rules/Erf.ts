// Erf: y = erf(x) = 2/√π ∫₀ˣ e^(−t²) dt  →  dx = dy · 2/√π · e^(−x²).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Erf',
  grad: ({ b, I, GO }) => {
    const x = I(0);
    const e = b.op('Exp', [b.neg(b.mul(x, x))]);
    return [b.mul(GO(0)!, b.mul(e, b.scalar(2 / Math.sqrt(Math.PI), x.dtype)))];
  },
};
