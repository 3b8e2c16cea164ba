// LayerNormalization (opset 17): inputs X, Scale, B; outputs Y, Mean, InvStdDev; normalised axes [axis, rank).
//   μ = mean(x), σ⁻¹ = 1/√(mean((x − μ)²) + ε), x̂ = (x − μ)·σ⁻¹, y = x̂·scale + B.
//   With g = dy·scale and means over the normalised axes (N elements):
//     dx = σ⁻¹ · (g − mean(g) − x̂ · mean(g · x̂))
//     dScale = Σ_lead dy · x̂,  dB = Σ_lead dy  (the walk sums the leading axes), built only when needed.
//   Gradients reaching the Mean and InvStdDev outputs (rare) add dMean/N and −dInvStd · σ⁻² · x̂ / N to dx.
// x̂ and σ⁻¹ come from one more LayerNormalization of X with unit scale (its Y and InvStdDev outputs): one kernel
// where recomputing them took a ReduceMean, Sub, Mul, ReduceMean, Add, Sqrt, Div and Mul — measured in the
// README's kernel table. The forward node is left as it is.
import type { Value } from '../../onnx/ir.ts';
import { f } from '../../onnx/builder.ts';
import { fromNumbers } from '../../onnx/tensor.ts';
import { normAxis } from '../../onnx/shapes.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'LayerNormalization',
  grad: ({ b, node, I, GO, needs }) => {
    const x = I(0), dt = x.dtype, s = (v: number) => b.scalar(v, dt);
    const rank = x.rank, axis = normAxis(node.attrInt('axis', -1), rank);
    const axes = Array.from({ length: rank - axis }, (_, i) => axis + i);
    const n = axes.reduce((p, a) => p * x.dims[a], 1);
    const mean = (v: Value) => b.reduce('ReduceMean', v, axes, true);

    const normShape = x.dims.slice(axis);
    const ones = b.const(fromNumbers(dt ?? 'float32', normShape, new Array<number>(n).fill(1)), 'unit_scale');
    const attrs = { axis, epsilon: f(node.attrFloat('epsilon', 1e-5)), stash_type: node.attrInt('stash_type', 1) };
    const [xhat, , invStd] = b.opN('LayerNormalization', [x, ones], 3, attrs, 'xhat');

    const dy = GO(0), dMean = GO(1), dInv = GO(2);
    let dx: Value | null = null;
    if (needs(0)) {
      const terms: Value[] = [];
      if (dy) {
        const g = node.hasInput(1) ? b.mul(dy, I(1)) : dy;
        const centred = b.sub(b.sub(g, mean(g)), b.mul(xhat, mean(b.mul(g, xhat))));
        terms.push(b.mul(invStd, centred));
      }
      if (dMean) terms.push(b.mul(dMean, s(1 / n)));
      if (dInv) terms.push(b.mul(b.mul(dInv, b.mul(invStd, invStd)), b.mul(xhat, s(-1 / n))));
      dx = terms.reduce((acc, t) => b.add(acc, t));
    }
    const dScale = dy && needs(1) ? b.mul(dy, xhat) : null;
    const dB = dy && needs(2) ? dy : null;
    return [dx, dScale, dB];
  },
};
