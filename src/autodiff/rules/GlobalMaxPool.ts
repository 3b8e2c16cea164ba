// GlobalMaxPool: y[n,c] = max_p x[n,c,p]  →  dx[n,c,p] = dy[n,c] at the FIRST p (row-major) where x = y, else 0
// (torch's adaptive_max_pool convention for ties). The first match is found without ArgMax/scatter:
//   eq = [x = y] as float over the flattened positions, first = eq · [CumSum(eq) = 1].
import { ONNX_DTYPE, numel } from '../../onnx/tensor.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'GlobalMaxPool',
  grad: ({ b, I, O, GO }) => {
    const dims = I(0).dims, [n, c] = dims, p = numel(dims.slice(2));
    const x = b.reshape(I(0), [n, c, p]);
    const eq = b.op('Cast', [b.op('Equal', [x, b.reshape(O(0), [n, c, 1])])], { to: ONNX_DTYPE.float32 });
    const cs = b.op('CumSum', [eq, b.scalar(2, 'int32')]);
    const first = b.mul(eq, b.op('Cast', [b.op('Equal', [cs, b.scalar(1)])], { to: ONNX_DTYPE.float32 }));
    return [b.reshape(b.mul(first, b.reshape(GO(0)!, [n, c, 1])), dims)];
  },
};
