// Tile: y = x repeated rᵢ times along each axis i (y[j] = x[j mod dᵢ])  →  view dy as [r₀, d₀, r₁, d₁, …] and
// sum over the r axes: dx = ReduceSum(reshape(dy, …), axes 0, 2, 4, …). repeats is not differentiable.
import { constInts } from '../../onnx/shapes.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Tile',
  nondiff: [1],
  grad: ({ b, node, I, GO }) => {
    const dims = I(0).dims;
    const reps = constInts(node.inputs[1]);
    if (!reps) throw new Error(`Tile '${node.name}' gradient: repeats must be a constant`);
    if (reps.every((r) => r === 1)) return [GO(0), null];
    const split = b.reshape(GO(0)!, dims.flatMap((d, i) => [reps[i], d]));
    return [b.reduceSum(split, dims.map((_, i) => 2 * i), false), null];
  },
};
