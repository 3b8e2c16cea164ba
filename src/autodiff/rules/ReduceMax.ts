// ReduceMax: y = max_axes x  →  dx = dy / k at the positions where x = y (k = number of such ties in the
// reduced slice), 0 elsewhere. Ties share the gradient evenly: torch.amax's convention (torch.max(dim) would
// route it all to one index). mask = Equal(x, y kept), k = Σ_axes mask; axes handling as in ReduceSum.ts.
import type { RuleSpec } from '../types.ts';
import { ONNX_DTYPE, type DType } from '../../onnx/tensor.ts';
import { keptDims, reducedAxes } from './ReduceSum.ts';

export const rule: RuleSpec = {
  op: 'ReduceMax',
  nondiff: [1],
  grad: ({ b, node, opset, I, O, GO }) => {
    const x = I(0), axes = reducedAxes(node, opset);
    if (!axes) return [GO(0), null];
    const mask = b.op('Equal', [x, keptDims(b, node, O(0), axes)]);
    const count = b.reduceSum(b.op('Cast', [mask], { to: ONNX_DTYPE[x.dtype as DType] }), axes, true);
    const share = b.div(keptDims(b, node, GO(0)!, axes), count);
    return [b.op('Where', [mask, share, b.scalar(0, x.dtype)]), null];
  },
};
