// Max (variadic, usually 2 inputs): y = max(x₀, x₁, …)  →  dxᵢ = dy / k where xᵢ = y, 0 elsewhere, with k the
// number of inputs equal to y at that position. Ties split the gradient evenly: for two inputs this is exactly
// torch.maximum's backward (½·dy to each on a tie). Equal + Where only (variadic Max/Sign are not in JSEP);
// broadcast inputs get gradients in the output shape, which the walk reduces.
import type { Value } from '../../onnx/ir.ts';
import { ONNX_DTYPE, type DType } from '../../onnx/tensor.ts';
import type { GradRule, RuleSpec } from '../types.ts';

/** The shared rule of Max and Min: route dy to the inputs equal to the output, split over ties. */
export const extremumGrad: GradRule = ({ b, node, O, GO, needs }) => {
  const y = O(0), dy = GO(0)!;
  const xs = node.inputs.map((v) => v!);
  if (xs.length === 1) return [dy];
  const masks = xs.map((x) => b.op('Equal', [x, y]));
  const to = ONNX_DTYPE[y.dtype as DType];
  const count = masks.map((m) => b.op('Cast', [m], { to })).reduce((acc: Value, c) => b.add(acc, c));
  const share = b.div(dy, count);
  const zero = b.scalar(0, y.dtype);
  return masks.map((m, i) => (needs(i) ? b.op('Where', [m, share, zero]) : null));
};

export const rule: RuleSpec = { op: 'Max', grad: extremumGrad };
