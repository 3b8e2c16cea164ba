// Cast: y = cast(x, T)  →  dx = cast(dy, type of x) between float types. A cast to a non-float type has an
// integer/bool output that carries no gradient (the walk never activates it); from a non-float input there is
// nothing to differentiate either, so both return no gradient.
import { isFloat, ONNX_DTYPE, type DType } from '../../onnx/tensor.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Cast',
  grad: ({ b, I, O, GO }) => {
    const from = I(0).dtype, to = O(0).dtype;
    if (!isFloat(from) || !isFloat(to)) return [null];
    if (from === to) return [GO(0)];
    return [b.op('Cast', [GO(0)!], { to: ONNX_DTYPE[from as DType] })];
  },
};
