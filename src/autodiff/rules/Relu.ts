// Relu: y = max(x, 0)  →  dx = dy · [x > 0]  (PyTorch's convention: zero gradient at x = 0).
// Uses Where(Greater(x, 0), dy, 0): no float mask multiply, so NaN/inf in dy never leak into dead units.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Relu',
  grad: ({ b, I, GO }) => {
    const zero = b.scalar(0, I(0).dtype);
    const pos = b.op('Greater', [I(0), zero]);
    return [b.op('Where', [pos, GO(0)!, zero])];
  },
};
