// ReduceL1: y = Σ_axes |x|  →  dx = dy · sign(x), with sign(0) = 0 as torch's norm(p=1) backward; built from
// Where as in Abs.ts (Sign is not in JSEP). Axes handling as in ReduceSum.ts; with noop_with_empty_axes = 1 and
// no axes onnxruntime computes y = |x|, whose gradient is the same formula unreduced.
import type { RuleSpec } from '../types.ts';
import { keptDims, reducedAxes } from './ReduceSum.ts';

export const rule: RuleSpec = {
  op: 'ReduceL1',
  nondiff: [1],
  grad: ({ b, node, opset, I, GO }) => {
    const x = I(0), axes = reducedAxes(node, opset), zero = b.scalar(0, x.dtype);
    const dy = axes ? keptDims(b, node, GO(0)!, axes) : GO(0)!;
    const neg = b.op('Where', [b.op('Less', [x, zero]), b.neg(dy), zero]);
    return [b.op('Where', [b.op('Greater', [x, zero]), dy, neg]), null];
  },
};
