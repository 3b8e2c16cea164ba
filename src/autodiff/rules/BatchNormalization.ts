// BatchNormalization, inference mode: y = (x − μ)·r·γ + β with r = 1/√(σ² + ε), per channel (axis 1). Then
//   dx = dy·γ·r,  dγ = Σ dy·(x − μ)·r,  dβ = Σ dy,  dμ = −γ·r·Σ dy,  dσ² = −½·γ·r³·Σ dy·(x − μ)
// with Σ over N and the spatial axes. training_mode = 1 (batch statistics) is refused.
import type { Value } from '../../onnx/ir.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'BatchNormalization',
  grad: ({ b, node, I, GO, needs }) => {
    if (node.attrInt('training_mode', 0) === 1 || node.outputs.length > 1) {
      throw new Error(`BatchNormalization '${node.name}' gradient: training mode (batch statistics) is not supported, only inference mode`);
    }
    if (node.attrInt('spatial', 1) !== 1) throw new Error(`BatchNormalization '${node.name}' gradient: spatial=0 is not supported`);
    const x = I(0), dy = GO(0)!, rank = x.dims.length, c = x.dims[1];
    const bc = (v: Value) => b.reshape(v, [c, ...Array(rank - 2).fill(1)]); // [C] → broadcastable over [N, C, …]
    const axes = [0, ...Array.from({ length: rank - 2 }, (_, i) => i + 2)];
    const sum = (v: Value) => b.reduceSum(v, axes, false);
    const r = b.div(b.scalar(1), b.op('Sqrt', [b.add(I(4), b.scalar(node.attrFloat('epsilon', 1e-5)))]));
    const gr = b.mul(I(1), r);
    const needCentered = needs(1) || needs(4);
    const xc = needCentered ? b.sub(x, bc(I(3))) : null;
    const sdy = needs(2) || needs(3) ? sum(dy) : null;
    const sdyxc = needCentered ? sum(b.mul(dy, xc!)) : null;
    return [
      needs(0) ? b.mul(dy, bc(gr)) : null,
      needs(1) ? b.mul(sdyxc!, r) : null,
      needs(2) ? sdy : null,
      needs(3) ? b.mul(b.mul(sdy!, gr), b.scalar(-1)) : null,
      needs(4) ? b.mul(b.mul(sdyxc!, b.mul(gr, b.mul(r, r))), b.scalar(-0.5)) : null,
    ];
  },
};
