// GlobalAveragePool: y[n,c] = (1/P) Σ_p x[n,c,p] over the P spatial positions  →  dx = Expand(dy / P, shape(x)).
// (The walk only reduces broadcast gradients, so the rule expands itself.)
import { numel } from '../../onnx/tensor.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'GlobalAveragePool',
  grad: ({ b, I, GO }) => {
    const dims = I(0).dims;
    const scaled = b.mul(GO(0)!, b.scalar(1 / numel(dims.slice(2))));
    return [b.op('Expand', [scaled, b.constI64(dims)])];
  },
};
