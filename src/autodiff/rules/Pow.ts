// Pow: y = aᵖ  →  da = dy · p · a^(p−1),  dp = dy · y · ln a  (dp only when p needs a gradient; defined for a > 0).
// Exponents are usually constants (2 and 0.5 in LayerNorm decompositions, 3 in tanh-GELU): p − 1 is folded at
// compile time, p = 1 gives dy and p = 2 gives dy · 2a. A non-constant or integer exponent is cast to a's type.
import type { Builder } from '../../onnx/builder.ts';
import type { Value } from '../../onnx/ir.ts';
import { fromNumbers, ONNX_DTYPE, toNumbers, type DType } from '../../onnx/tensor.ts';
import type { RuleSpec } from '../types.ts';

/** dy · p · a^(p−1) for a constant exponent p (any shape broadcastable against a). */
function constantExponent(b: Builder, a: Value, dy: Value, p: number[], shape: number[]): Value {
  const dt = a.dtype as DType;
  if (p.every((v) => v === 1)) return dy;
  if (p.every((v) => v === 2)) return b.mul(dy, b.mul(a, b.const(fromNumbers(dt, shape, p), 'pow_p')));
  const pm1 = b.const(fromNumbers(dt, shape, p.map((v) => v - 1)), 'pow_pm1');
  const scale = b.const(fromNumbers(dt, shape, p), 'pow_p');
  return b.mul(dy, b.mul(scale, b.op('Pow', [a, pm1])));
}

export const rule: RuleSpec = {
  op: 'Pow',
  grad: ({ b, I, O, GO, needs }) => {
    const a = I(0), p = I(1), dy = GO(0)!;
    let da: Value | null = null;
    if (needs(0)) {
      if (p.constant) {
        da = constantExponent(b, a, dy, toNumbers(p.constant), p.constant.shape);
      } else {
        const pf = p.dtype === a.dtype ? p : b.op('Cast', [p], { to: ONNX_DTYPE[a.dtype as DType] });
        const pm1 = b.sub(pf, b.scalar(1, a.dtype));
        da = b.mul(dy, b.mul(pf, b.op('Pow', [a, pm1])));
      }
    }
    const dp = needs(1) ? b.mul(b.mul(dy, O(0)), b.op('Log', [a])) : null;
    return [da, dp];
  },
};
