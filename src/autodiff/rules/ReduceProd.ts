// ReduceProd: y = Π_axes x  →  dx = dy · y / x (y and dy with the reduced axes kept).
// Limitation: exact only for inputs without zeros. Where an x is 0 this gives 0/0 or y/0 = NaN/±∞ instead of
// the product of the other elements of its slice (torch computes that with an exclusive product, which would
// take a cumulative product in both directions here). Axes handling as in ReduceSum.ts; noop_with_empty_axes = 1
// with no axes is y = x, so dx = dy.
import type { RuleSpec } from '../types.ts';
import { keptDims, reducedAxes } from './ReduceSum.ts';

export const rule: RuleSpec = {
  op: 'ReduceProd',
  nondiff: [1],
  grad: ({ b, node, opset, I, O, GO }) => {
    const x = I(0), axes = reducedAxes(node, opset);
    if (!axes) return [GO(0), null];
    const dyy = b.mul(keptDims(b, node, GO(0)!, axes), keptDims(b, node, O(0), axes));
    return [b.div(dyy, x), null];
  },
};
