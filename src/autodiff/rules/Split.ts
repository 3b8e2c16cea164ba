// Split: yᵢ = the i-th block of x along `axis`  →  dx = Concat(dy₀, dy₁, …) along `axis`, with zeros (an Expand of
// a scalar 0) for outputs no gradient reaches. The split sizes input is not differentiable.
import { normAxis } from '../../onnx/shapes.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Split',
  nondiff: [1],
  grad: ({ b, node, I, O, GO }) => {
    const axis = normAxis(node.attrInt('axis', 0), I(0).dims.length);
    const parts = node.outputs.map((_, i) => GO(i) ?? b.op('Expand', [b.scalar(0, I(0).dtype), b.constI64(O(i).dims)]));
    return [parts.length === 1 ? parts[0] : b.op('Concat', parts, { axis })];
  },
};
