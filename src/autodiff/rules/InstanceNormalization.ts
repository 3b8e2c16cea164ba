// InstanceNormalization: per sample and channel, over the spatial axes (S elements, x viewed as [N, C, S]):
//   μ = mean(x), σ⁻¹ = 1/√(mean((x − μ)²) + ε), x̂ = (x − μ)·σ⁻¹, y = scale_c · x̂ + B_c  (scale, B: [C]).
//   With g = dy · scale_c and means over S:  dx = σ⁻¹ · (g − mean(g) − x̂ · mean(g · x̂)),
//   dscale = Σ_{N,S} dy · x̂,  dB = Σ_{N,S} dy  (each built only when needed).
// From opset 17 x̂ and σ⁻¹ come from one LayerNormalization over the last axis of the view (unit scale; see
// LayerNormalization.ts), before from the decomposition. The helpers here serve GroupNormalization too.
import { f, type Builder } from '../../onnx/builder.ts';
import type { Value } from '../../onnx/ir.ts';
import { fromNumbers, type DType } from '../../onnx/tensor.ts';
import type { RuleSpec } from '../types.ts';

/** x̂ and σ⁻¹ (last axis kept) of a rank-3 view, normalised over its last axis. */
export function normalise(b: Builder, x3: Value, eps: number, stashType = 1): { xhat: Value; invStd: Value } {
  const [, , k] = x3.dims, dt = (x3.dtype ?? 'float32') as DType;
  if (b.g.opset >= 17) {
    const ones = b.const(fromNumbers(dt, [k], new Array<number>(k).fill(1)), 'unit_scale');
    const [xhat, , invStd] = b.opN('LayerNormalization', [x3, ones], 3, { axis: -1, epsilon: f(eps), stash_type: stashType }, 'xhat');
    return { xhat, invStd };
  }
  const xc = b.sub(x3, b.reduce('ReduceMean', x3, [2]));
  const std = b.op('Sqrt', [b.add(b.reduce('ReduceMean', b.mul(xc, xc), [2]), b.scalar(eps, dt))]);
  const invStd = b.op('Reciprocal', [std]);
  return { xhat: b.mul(xc, invStd), invStd };
}

/** dx of x̂ = (x − μ)·σ⁻¹ over the last axis of a rank-3 view, for the gradient g reaching x̂. */
export function normBackward(b: Builder, g: Value, xhat: Value, invStd: Value): Value {
  const mean = (v: Value) => b.reduce('ReduceMean', v, [2]);
  return b.mul(invStd, b.sub(b.sub(g, mean(g)), b.mul(xhat, mean(b.mul(g, xhat)))));
}

export const rule: RuleSpec = {
  op: 'InstanceNormalization',
  grad: ({ b, node, I, GO, needs }) => {
    const x = I(0), dims = x.dims, [n, c] = dims, s = dims.slice(2).reduce((p, d) => p * d, 1);
    const dy3 = b.reshape(GO(0)!, [n, c, s]);
    const { xhat, invStd } = normalise(b, b.reshape(x, [n, c, s]), node.attrFloat('epsilon', 1e-5));
    const dx = needs(0) ? b.reshape(normBackward(b, b.mul(dy3, b.reshape(I(1), [c, 1])), xhat, invStd), dims) : null;
    const dScale = needs(1) ? b.reduceSum(b.mul(dy3, xhat), [0, 2], false) : null;
    const dB = needs(2) ? b.reduceSum(dy3, [0, 2], false) : null;
    return [dx, dScale, dB];
  },
};
