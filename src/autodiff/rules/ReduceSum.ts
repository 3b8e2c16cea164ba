// ReduceSum: y = Σ_axes x  →  dx = Expand(dy with the reduced axes kept, shape(x)).
// Axes: an input from opset 13 for ReduceSum and from opset 18 for the other reductions, an attribute before;
// empty/absent axes reduce everything unless noop_with_empty_axes = 1 (then y = x and dx = dy). With
// keepdims = 0 dy is first unsqueezed at the reduced axes. The helpers here serve every Reduce* rule.
import type { Builder } from '../../onnx/builder.ts';
import type { Node, Value } from '../../onnx/ir.ts';
import { constInts, normAxis } from '../../onnx/shapes.ts';
import type { RuleSpec } from '../types.ts';

/** The sorted, normalised axes a Reduce* node reduces, or null when it is a no-op. */
export function reducedAxes(node: Node, opset: number): number[] | null {
  const rank = node.input(0).rank;
  const fromInput = node.opType === 'ReduceSum' ? opset >= 13 : opset >= 18;
  const axes = fromInput ? (node.hasInput(1) ? constInts(node.inputs[1]) : []) : node.attrInts('axes', []);
  if (!axes) throw new Error(`${node.opType} '${node.name}': axes must be a constant to differentiate`);
  if (!axes.length) return node.attrInt('noop_with_empty_axes', 0) ? null : Array.from({ length: rank }, (_, i) => i);
  return [...new Set(axes.map((a) => normAxis(a, rank)))].sort((p, q) => p - q);
}

/** A reduced value (dy or y) in keepdims form, broadcastable against the input. */
export function keptDims(b: Builder, node: Node, v: Value, axes: number[]): Value {
  return node.attrInt('keepdims', 1) ? v : b.unsqueeze(v, axes);
}

export const rule: RuleSpec = {
  op: 'ReduceSum',
  nondiff: [1],
  grad: ({ b, node, opset, I, GO }) => {
    const axes = reducedAxes(node, opset);
    if (!axes) return [GO(0), null];
    return [b.op('Expand', [keptDims(b, node, GO(0)!, axes), b.constI64(I(0).dims)]), null];
  },
};
