// PRelu: y = x for x > 0, slope · x otherwise; slope broadcasts unidirectionally to x (torch's nn.PReLU(C)
// exports a [C, 1, 1] slope)  →  dx = dy for x > 0, slope · dy otherwise (the slope at x = 0, as torch's prelu
// backward). The slope is normally a frozen constant and gets no gradient; when it does need one it is
// dslope = dy · x where x ≤ 0, 0 elsewhere, which the walk sums down to the slope's shape.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'PRelu',
  grad: ({ b, I, GO, needs }) => {
    const x = I(0), dy = GO(0)!, zero = b.scalar(0, x.dtype);
    const pos = b.op('Greater', [x, zero]);
    return [
      needs(0) ? b.op('Where', [pos, dy, b.mul(dy, I(1))]) : null,
      needs(1) ? b.op('Where', [pos, zero, b.mul(dy, x)]) : null,
    ];
  },
};
