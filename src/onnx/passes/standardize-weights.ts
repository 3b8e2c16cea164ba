// Pass: weight standardisation folded at load. timm's StdConv2d (BiT ResNetV2, the ImageNet-21k ResNet-50 that
// the LoR-VP paper uses; NFNets, ViT hybrids) standardises its constant weight on every call through
// F.batch_norm(weight.reshape(1, out, -1), training=True), which exports as BatchNormalization(training_mode=1):
// batch statistics of a constant. Such a node is replaced by its value — per channel (axis 1),
// y = scale·(x − mean)/√(var + ε) + B over all other axes, var biased, as the ONNX spec's training mode computes
// it — in float64, cast back to the input's type. The constant subgraph that feeds it (Reshape of the weight) is
// folded with it.
// Invariants: only a training-mode BatchNormalization whose every input is constant (or folds to one) and whose
// running-statistics outputs nobody reads is rewritten; any other training-mode node is left for the attribute
// audit to refuse (batch statistics of activations would make a frozen backbone depend on the batch). Returns how
// many were folded.
import type { Graph, Value } from '../ir.ts';
import { evaluateNode, FOLDABLE } from '../evaluate.ts';
import { inferNode } from '../shapes.ts';
import { replaceWithConstants } from './infer.ts';
import { fromNumbers, toNumbers, type Tensor } from '../tensor.ts';

/** The value's constant, folding the constant nodes that produce it (a few hops: Reshape, Cast, Identity…). */
function fold(g: Graph, v: Value, depth = 0): Tensor | undefined {
  if (v.constant) return v.constant;
  const p = v.producer;
  if (!p || depth > 6 || !FOLDABLE.has(p.opType) || p.domain !== '' || p.opType === 'Shape') return undefined;
  for (const i of p.inputs) if (i && !fold(g, i, depth + 1)) return undefined;
  inferNode(p, g.opset);
  replaceWithConstants(g, p, evaluateNode(p, g.opset));
  return v.constant;
}

function standardize(x: Tensor, scale: number[], bias: number[], eps: number): Tensor {
  const shape = x.shape, C = shape[1], inner = shape.slice(2).reduce((a, d) => a * d, 1), N = shape[0];
  const v = toNumbers(x), out = new Array<number>(v.length);
  for (let c = 0; c < C; c++) {
    let sum = 0, sq = 0;
    for (let n = 0; n < N; n++) for (let k = 0; k < inner; k++) sum += v[(n * C + c) * inner + k];
    const count = N * inner, mean = sum / count;
    for (let n = 0; n < N; n++) for (let k = 0; k < inner; k++) sq += (v[(n * C + c) * inner + k] - mean) ** 2;
    const r = 1 / Math.sqrt(sq / count + eps);
    for (let n = 0; n < N; n++) for (let k = 0; k < inner; k++) {
      const i = (n * C + c) * inner + k;
      out[i] = scale[c] * (v[i] - mean) * r + bias[c];
    }
  }
  return fromNumbers(x.dtype, [...shape], out);
}

export function foldWeightStandardization(g: Graph): number {
  let folded = 0;
  for (const n of [...g.nodes]) {
    if (n.opType !== 'BatchNormalization' || n.attrInt('training_mode', 0) !== 1) continue;
    if (n.outputs.slice(1).some((o) => o && (o.users.size > 0 || g.outputs.includes(o)))) continue;
    const [x, scale, bias] = [0, 1, 2].map((i) => fold(g, n.input(i)));
    if (!x || !scale || !bias || x.shape.length < 2 || x.dtype === 'string') continue;
    replaceWithConstants(g, n, [standardize(x, toNumbers(scale), toNumbers(bias), n.attrFloat('epsilon', 1e-5))]);
    folded++;
  }
  if (folded) g.pruneValues();
  return folded;
}
