// ReduceL2: y = √(Σ_axes x²)  →  dx = dy · x / y, and 0 where y = 0 (torch's norm backward masks a zero norm
// instead of producing 0/0). ConvNeXt V2's GRN exports torch.norm(x, p=2, dim=(1, 2)) as this op.
// Axes handling as in ReduceSum.ts. With noop_with_empty_axes = 1 and no axes onnxruntime computes y = |x| (a
// reduction over no axis): the same formula, unreduced, gives dy · sign(x).
import type { Value } from '../../onnx/ir.ts';
import type { RuleSpec } from '../types.ts';
import { keptDims, reducedAxes } from './ReduceSum.ts';

export const rule: RuleSpec = {
  op: 'ReduceL2',
  nondiff: [1],
  grad: ({ b, node, opset, I, O, GO }) => {
    const x = I(0), axes = reducedAxes(node, opset), zero = b.scalar(0, x.dtype);
    const kept = (v: Value) => (axes ? keptDims(b, node, v, axes) : v);
    const y = kept(O(0));
    const scale = b.op('Where', [b.op('Equal', [y, zero]), zero, b.div(kept(GO(0)!), y)]);
    return [b.mul(x, scale), null];
  },
};
