// Pass: a classifier written as a 1×1 Conv on globally pooled features (MXNet Gluon MobileNetV2 in the ONNX
// Model Zoo: GlobalAveragePool → Conv 1×1 → Flatten/Reshape, no Gemm; timm ResNetV2/BiT: ReduceMean over H, W with
// keepdims → Conv 1×1 → Flatten) becomes Flatten → Gemm(transB=1) →
// Unsqueeze(2,3), the same function, so the head finder sees a linear layer and `lp` can read its input.
// Invariants after: the Conv's output value keeps its name and shape [N, K, 1, 1]; its weight [K, C, 1, 1] is
// reused reshaped as [K, C]; only a Conv whose input comes from a global pool (see globalPool), with a 1×1
// kernel, group 1 and a constant weight, on the path to the first output through Flatten/Reshape/Squeeze, is
// rewritten. Needs opset ≥ 13 (Unsqueeze with an axes input). Returns whether it rewrote one.
import type { Graph, Node } from '../ir.ts';
import { fromNumbers, toNumbers } from '../tensor.ts';

/** A global pool over H and W keeping [N, C, 1, 1]: GlobalAverage/MaxPool, or ReduceMean/ReduceMax over axes 2, 3
 * with keepdims (timm's `x.mean((2, 3), keepdim=True)` before a conv classifier). */
function globalPool(n: Node | null, opset: number): boolean {
  if (!n) return false;
  if (n.opType === 'GlobalAveragePool' || n.opType === 'GlobalMaxPool') return true;
  if ((n.opType !== 'ReduceMean' && n.opType !== 'ReduceMax') || n.attrInt('keepdims', 1) !== 1) return false;
  const axes = opset >= 18 ? (n.inputs[1]?.constant ? toNumbers(n.inputs[1].constant) : undefined) : n.attrInts('axes', []);
  return !!axes && axes.map((a) => (a < 0 ? a + 4 : a)).sort().join() === '2,3';
}

export function convHeadToGemm(g: Graph): boolean {
  let v = g.outputs[0];
  let conv: Node | undefined;
  for (let hops = 0; hops < 4 && v?.producer; hops++) {
    const n = v.producer;
    if (n.opType === 'Conv') { conv = n; break; }
    if (!['Flatten', 'Reshape', 'Squeeze', 'Identity'].includes(n.opType)) return false;
    v = n.input(0);
  }
  if (!conv) return false;
  const w = conv.input(1).constant;
  if (!w || w.shape.length !== 4 || w.shape[2] !== 1 || w.shape[3] !== 1 || conv.attrInt('group', 1) !== 1) return false;
  if (!globalPool(conv.input(0).producer, g.opset)) return false;
  const [K, C] = w.shape, x = conv.input(0), y = conv.outputs[0], at = g.nodes.indexOf(conv);
  const flat = g.newValue(`${x.name}_flat`), logits = g.newValue(`${y.name}_2d`);
  const weight = g.addInitializer(`${conv.input(1).name}_2d`, { ...w, shape: [K, C] });
  const ins = [flat, weight, ...(conv.inputs[2] ? [conv.input(2)] : [])];
  g.removeNode(conv);
  g.addNode('Flatten', [x], [flat], { axis: { type: 'int', value: 1 } }, { at });
  g.addNode('Gemm', ins, [logits], { transB: { type: 'int', value: 1 } }, { at: at + 1 });
  g.addNode('Unsqueeze', [logits, g.addInitializer('vp_head_axes', fromNumbers('int64', [2], [2, 3]))], [y], {}, { at: at + 2 });
  g.pruneValues();
  return true;
}
