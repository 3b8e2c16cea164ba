// GroupNormalization (opset 18 and 21; onnxruntime-node 1.30 runs both): x [N, C, …] is split into num_groups
// groups of C/G channels, and each (sample, group) is normalised over its channels and spatial axes as in
// InstanceNormalization.ts: x̂ = (x − μ)·σ⁻¹. Then y = scale · x̂ + bias, with scale and bias per group ([G],
// opset 18–20) or per channel ([C], opset 21). Viewing x as [N, G, C/G, S]:
//   g = dy · scale,  dx = σ⁻¹ · (g − mean(g) − x̂ · mean(g · x̂))  (means over a group's C/G · S elements),
//   dscale = Σ dy · x̂,  dbias = Σ dy  over N and S (and the channels of each group at opset 18).
// epsilon (default 1e-5) and stash_type (opset 21) go to the LayerNormalization that computes x̂ and σ⁻¹.
import type { Value } from '../../onnx/ir.ts';
import type { RuleSpec } from '../types.ts';
import { normBackward, normalise } from './InstanceNormalization.ts';

export const rule: RuleSpec = {
  op: 'GroupNormalization',
  grad: ({ b, node, opset, I, GO, needs }) => {
    const x = I(0), dims = x.dims, [n, c] = dims, s = dims.slice(2).reduce((p, d) => p * d, 1);
    const groups = node.attrInt('num_groups');
    if (c % groups) throw new Error(`GroupNormalization '${node.name}': num_groups=${groups} does not divide ${c} channels`);
    const cg = c / groups, perChannel = opset >= 21;
    const view4 = (v: Value) => b.reshape(v, [n, groups, cg, s]);
    const { xhat, invStd } = normalise(b, b.reshape(x, [n, groups, cg * s]), node.attrFloat('epsilon', 1e-5), node.attrInt('stash_type', 1));
    const dy4 = view4(GO(0)!);
    const sumAxes = perChannel ? [0, 3] : [0, 2, 3];
    let dx: Value | null = null;
    if (needs(0)) {
      const g = b.mul(dy4, b.reshape(I(1), perChannel ? [groups, cg, 1] : [groups, 1, 1]));
      dx = b.reshape(normBackward(b, b.reshape(g, [n, groups, cg * s]), xhat, invStd), dims);
    }
    const dScale = needs(1) ? b.reshape(b.reduceSum(b.mul(dy4, view4(xhat)), sumAxes, false), I(1).dims) : null;
    const dBias = needs(2) ? b.reshape(b.reduceSum(dy4, sumAxes, false), I(2).dims) : null;
    return [dx, dScale, dBias];
  },
};
