// ReduceSumSquare: y = Σ_axes x²  →  dx = 2x · dy (dy with the reduced axes kept). Axes handling as in
// ReduceSum.ts; with noop_with_empty_axes = 1 and no axes onnxruntime computes y = x², the same formula unreduced.
import type { RuleSpec } from '../types.ts';
import { keptDims, reducedAxes } from './ReduceSum.ts';

export const rule: RuleSpec = {
  op: 'ReduceSumSquare',
  nondiff: [1],
  grad: ({ b, node, opset, I, GO }) => {
    const x = I(0), axes = reducedAxes(node, opset);
    const dy = axes ? keptDims(b, node, GO(0)!, axes) : GO(0)!;
    return [b.mul(x, b.mul(dy, b.scalar(2, x.dtype))), null];
  },
};
