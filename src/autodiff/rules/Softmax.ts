// Softmax: y = e^x / Σ e^x over the softmax axes  →  dx = y · (dy − Σ(dy · y)), sums over the same axes (kept).
// Opset ≥ 13: one axis (default −1). Opset < 13: the input is coerced to 2-D at `axis` (default 1), i.e. the
// softmax runs over all axes from `axis` to the end; summing over those axes is the same as doing the 2-D
// reshape, without one.
import type { Node } from '../../onnx/ir.ts';
import { normAxis } from '../../onnx/shapes.ts';
import type { RuleSpec } from '../types.ts';

/** The axes a Softmax/LogSoftmax node normalises over, for the graph's opset. */
export function softmaxAxes(node: Node, opset: number): number[] {
  const rank = node.input(0).rank;
  if (opset >= 13) return [normAxis(node.attrInt('axis', -1), rank)];
  const a = normAxis(node.attrInt('axis', 1), rank);
  return Array.from({ length: rank - a }, (_, i) => a + i);
}

export const rule: RuleSpec = {
  op: 'Softmax',
  grad: ({ b, node, opset, O, GO }) => {
    const y = O(0), dy = GO(0)!;
    const s = b.reduceSum(b.mul(dy, y), softmaxAxes(node, opset), true);
    return [b.mul(y, b.sub(dy, s))];
  },
};
