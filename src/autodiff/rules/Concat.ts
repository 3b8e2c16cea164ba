// Concat: y = [x₀ | x₁ | …] along `axis`  →  dxᵢ = the i-th block of dy along `axis`: one Split with the input
// sizes (split as an input from opset 13, attribute before).
import type { RuleSpec } from '../types.ts';
import { normAxis } from '../../onnx/shapes.ts';

export const rule: RuleSpec = {
  op: 'Concat',
  grad: ({ b, node, GO, opset }) => {
    const dy = GO(0)!, ins = node.inputs;
    const axis = normAxis(node.attrInt('axis'), dy.dims.length);
    const sizes = ins.map((v) => v!.dims[axis]);
    if (ins.length === 1) return [dy];
    const parts = opset >= 13
      ? b.opN('Split', [dy, b.constI64(sizes)], sizes.length, { axis })
      : b.opN('Split', [dy], sizes.length, { axis, split: sizes });
    return parts;
  },
};
