// LogSoftmax: y = x − log Σ e^x over the softmax axes  →  dx = dy − e^y · Σ dy  (e^y is the softmax; sums kept
// over the same axes as Softmax: one axis from opset 13, all axes from `axis` on before).
import type { RuleSpec } from '../types.ts';
import { softmaxAxes } from './Softmax.ts';

export const rule: RuleSpec = {
  op: 'LogSoftmax',
  grad: ({ b, node, opset, O, GO }) => {
    const dy = GO(0)!;
    const s = b.reduceSum(dy, softmaxAxes(node, opset), true);
    return [b.sub(dy, b.mul(b.op('Exp', [O(0)]), s))];
  },
};
