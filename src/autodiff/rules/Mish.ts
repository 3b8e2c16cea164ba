// Mish (opset 18): y = x · tanh(softplus(x))  →  with t = tanh(softplus(x)) and σ(x) = softplus′(x):
//   dx = dy · (t + x · σ(x) · (1 − t²))   (the formula torch's mish_backward uses).
// torch 1.13 exports F.mish at opset ≤ 17 as Softplus → Tanh → Mul, which those rules cover.
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Mish',
  grad: ({ b, I, GO }) => {
    const x = I(0);
    const t = b.op('Tanh', [b.op('Softplus', [x])]);
    const slope = b.mul(b.mul(x, b.op('Sigmoid', [x])), b.sub(b.scalar(1, x.dtype), b.mul(t, t)));
    return [b.mul(GO(0)!, b.add(t, slope))];
  },
};
