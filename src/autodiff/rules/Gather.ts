// Gather: y[p…, l…, q…] = x[p…, idx[l…], q…] along `axis`. With x viewed as [P, D, Q] and dy as [P, L, Q]:
//   dx = Hᵀ · dy   (MatMul broadcast over P),  Hᵀ[d, l] = [idx[l] = d]  (D × L one-hot; repeated indices add up).
// Constant indices give a constant Hᵀ (negative indices wrapped); otherwise Hᵀ = Cast(Equal(range(D), idx)) in
// int32. No scatter ops (WebGPU has no float atomics). The indices are not differentiable.
// Also exports `oneHotAlong`, used by Slice for strided steps.
import type { Builder } from '../../onnx/builder.ts';
import type { Value } from '../../onnx/ir.ts';
import { normAxis } from '../../onnx/shapes.ts';
import { ONNX_DTYPE, numel, toNumbers } from '../../onnx/tensor.ts';
import type { RuleSpec } from '../types.ts';

/** Applies a [D, L] matrix to axis `axis` (of length L) of `t`: the result has D there. */
export function oneHotAlong(b: Builder, t: Value, axis: number, mt: Value): Value {
  const dims = t.dims, [d, l] = mt.dims;
  if (dims[axis] !== l) throw new Error(`oneHotAlong: axis ${axis} of [${dims}] is not ${l}`);
  const p = numel(dims.slice(0, axis)), q = numel(dims.slice(axis + 1));
  const r = b.op('MatMul', [mt, b.reshape(t, [p, l, q])]);
  return b.reshape(r, [...dims.slice(0, axis), d, ...dims.slice(axis + 1)]);
}

export const rule: RuleSpec = {
  op: 'Gather',
  nondiff: [1],
  grad: ({ b, node, I, GO }) => {
    const x = I(0), idx = I(1), dims = x.dims;
    const axis = normAxis(node.attrInt('axis', 0), dims.length), d = dims[axis];
    const l = numel(idx.dims);
    let mt: Value;
    if (idx.constant) {
      const h = new Float32Array(d * l);
      toNumbers(idx.constant).forEach((i, k) => { h[(i < 0 ? i + d : i) * l + k] = 1; });
      mt = b.constF(h, [d, l], 'gather_onehot');
    } else {
      let i32 = b.op('Cast', [b.reshape(idx, [1, l])], { to: ONNX_DTYPE.int32 });
      const zero = b.scalar(0, 'int32');
      i32 = b.op('Where', [b.op('Less', [i32, zero]), b.add(i32, b.scalar(d, 'int32')), i32]);
      const range = b.constI32([...Array(d).keys()], [d, 1], 'gather_range');
      mt = b.op('Cast', [b.op('Equal', [range, i32])], { to: ONNX_DTYPE.float32 });
    }
    const dy = b.reshape(GO(0)!, [...dims.slice(0, axis), l, ...dims.slice(axis + 1)]);
    return [oneHotAlong(b, dy, axis, mt), null];
  },
};
