// ReduceLogSumExp: y = log Σ_axes eˣ  →  dx = dy · e^(x − y)  (y and dy with the reduced axes kept, so the
// softmax e^(x − y) broadcasts back to x's shape). Axes handling as in ReduceSum.ts.
import type { RuleSpec } from '../types.ts';
import { keptDims, reducedAxes } from './ReduceSum.ts';

export const rule: RuleSpec = {
  op: 'ReduceLogSumExp',
  nondiff: [1],
  grad: ({ b, node, opset, I, O, GO }) => {
    const x = I(0), axes = reducedAxes(node, opset);
    if (!axes) return [GO(0), null];
    const p = b.op('Exp', [b.sub(x, keptDims(b, node, O(0), axes))]);
    return [b.mul(keptDims(b, node, GO(0)!, axes), p), null];
  },
};
