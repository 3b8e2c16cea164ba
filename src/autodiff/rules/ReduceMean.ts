// ReduceMean: y = (1/n) Σ_axes x, n = ∏ reduced dims  →  dx = Expand(dy (axes kept) / n, shape(x)).
// Axes handling as in ReduceSum.ts (input from opset 18, attribute before; keepdims; noop_with_empty_axes).
import type { RuleSpec } from '../types.ts';
import { keptDims, reducedAxes } from './ReduceSum.ts';

export const rule: RuleSpec = {
  op: 'ReduceMean',
  nondiff: [1],
  grad: ({ b, node, opset, I, GO }) => {
    const x = I(0), axes = reducedAxes(node, opset);
    if (!axes) return [GO(0), null];
    const n = axes.reduce((p, a) => p * x.dims[a], 1);
    const scaled = b.mul(keptDims(b, node, GO(0)!, axes), b.scalar(1 / n, x.dtype));
    return [b.op('Expand', [scaled, b.constI64(x.dims)]), null];
  },
};
