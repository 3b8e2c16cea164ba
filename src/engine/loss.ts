// Mean softmax cross-entropy with per-sample weights (1/m for the m real samples of a batch, 0 for padding),
// built from WebGPU-safe ops (no LogSoftmax / OneHot / SoftmaxCrossEntropyLoss), and its logits gradient
// (softmax − onehot)·w written directly, so the loss needs no gradient rules of its own.
import type { Builder } from '../onnx/builder.ts';
import type { Value } from '../onnx/ir.ts';

export function crossEntropy(b: Builder, logits: Value, labels: Value, weights: Value): { loss: Value; dlogits: Value; perSample: Value } {
  const C = logits.dims[1];
  const classes = b.constI32(Array.from({ length: C }, (_, i) => i), [1, C], 'class_ids');
  const onehot = b.op('Cast', [b.op('Equal', [b.unsqueeze(labels, [1]), classes])], { to: 1 }, 'onehot');
  const lse = b.reduce('ReduceLogSumExp', logits, [1], true);
  const logp = b.sub(logits, lse);
  const perSample = b.neg(b.reduceSum(b.mul(onehot, logp), [1], false));
  const loss = b.reduceSum(b.mul(perSample, weights), [0], false);
  const probs = b.op('Softmax', [logits], { axis: 1 });
  const dlogits = b.mul(b.sub(probs, onehot), b.unsqueeze(weights, [1]));
  return { loss, dlogits, perSample };
}
