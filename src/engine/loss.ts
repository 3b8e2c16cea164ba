// Mean softmax cross-entropy with per-sample weights (1/m for the m real samples of a batch, 0 for padding),
// built from WebGPU-safe ops (no LogSoftmax / OneHot / SoftmaxCrossEntropyLoss), and its logits gradient
// (softmax − onehot)·w written directly, so the loss needs no gradient rules of its own. Also the on-device
// running sums of an epoch's training metrics, so a step reads nothing back unless the loss is shown.
import type { Builder } from '../onnx/builder.ts';
import type { Value } from '../onnx/ir.ts';

export function crossEntropy(b: Builder, logits: Value, labels: Value, weights: Value): { loss: Value; dlogits: Value; perSample: Value; onehot: Value } {
  const C = logits.dims[1];
  const classes = b.constI32(Array.from({ length: C }, (_, i) => i), [1, C], 'class_ids');
  const onehot = b.op('Cast', [b.op('Equal', [b.unsqueeze(labels, [1]), classes])], { to: 1 }, 'onehot');
  const lse = b.reduce('ReduceLogSumExp', logits, [1], true);
  const logp = b.sub(logits, lse);
  const perSample = b.neg(b.reduceSum(b.mul(onehot, logp), [1], false));
  const loss = b.reduceSum(b.mul(perSample, weights), [0], false);
  const probs = b.op('Softmax', [logits], { axis: 1 });
  const dlogits = b.mul(b.sub(probs, onehot), b.unsqueeze(weights, [1]));
  return { loss, dlogits, perSample, onehot };
}

/** metrics.next = metrics + [Σ cross-entropy, Σ correct] over the real rows (weight > 0) of the batch, where a row
 * is correct when its FIRST maximal logit is its label (the host's argmax). `metrics` is a float [2] input. */
export function accumulateMetrics(b: Builder, metrics: Value, logits: Value, labels: Value, weights: Value, perSample: Value): Value {
  const C = logits.dims[1];
  const real = b.op('Cast', [b.op('Greater', [weights, b.scalar(0)])], { to: 1 });
  const isMax = b.op('Equal', [logits, b.reduce('ReduceMax', logits, [1], true)]);
  const ids = b.constF(Array.from({ length: C }, (_, i) => i), [1, C], 'class_idsf');
  const first = b.reduce('ReduceMin', b.op('Where', [isMax, ids, b.scalar(C)]), [1], false);
  const correct = b.op('Cast', [b.op('Equal', [first, b.op('Cast', [labels], { to: 1 })])], { to: 1 });
  const sums = b.op('Concat', [b.unsqueeze(b.reduceSum(b.mul(perSample, real), [0], false), [0]), b.unsqueeze(b.reduceSum(b.mul(correct, real), [0], false), [0])], { axis: 0 });
  return b.add(metrics, sums);
}
