// Backbone analysis: family (vit / resnet / cnn / unknown), the classifier head and its input (the penultimate
// features), and for ViTs the token sequence (CLS concat, position-embedding add) and the residual stream that
// delimits the transformer blocks — found from the graph's structure, whatever the exporter named things.
import type { Graph, Node, Value } from '../onnx/ir.ts';
import { FEATURES_KEY } from '../onnx/passes/feature-output.ts';

export type Family = 'vit' | 'resnet' | 'cnn' | 'unknown';

export interface VitStructure {
  /** Token sequence right after the position embedding was added: [N, 1+T, D]. */
  tokens: Value;
  /** Inputs of each transformer block on the residual stream (blocks[0] === tokens). */
  blocks: Value[];
  /** Output of the last block (input of the final norm). */
  last: Value;
  width: number;
  numPatches: number;
}

export interface Analysis {
  family: Family;
  input: Value;
  output: Value;
  /** Input of the final classification layer, [N, F]. */
  features: Value | undefined;
  featureWidth: number | undefined;
  /** What the features of a feature extractor (no classifier; its output IS the features) are, else undefined. */
  featureSource: string | undefined;
  /** The node of the final classification layer (Gemm, or the MatMul of MatMul+Add). */
  headNode: Node | undefined;
  numClasses: number | undefined;
  vit: VitStructure | undefined;
  params: number;
}

const producerOp = (v: Value | null | undefined): string | undefined => v?.producer?.opType;

/** Finds the final linear layer: Gemm, or Add(MatMul(x, W), b) / MatMul(x, W), possibly behind a Flatten/Reshape. */
function findHead(out: Value): { node: Node; features: Value } | undefined {
  let v: Value = out;
  for (let hops = 0; hops < 4 && v.producer; hops++) {
    const n = v.producer;
    if (n.opType === 'Gemm' && n.input(1).constant) return { node: n, features: n.input(0) };
    if (n.opType === 'MatMul' && n.input(1).constant) return { node: n, features: n.input(0) };
    if (n.opType === 'Add') {
      const mm = n.inputs.find((x) => producerOp(x) === 'MatMul' || producerOp(x) === 'Gemm');
      if (mm) { v = mm; continue; }
    }
    if (['Identity', 'Reshape', 'Flatten', 'Squeeze', 'Unsqueeze', 'Cast'].includes(n.opType)) { v = n.input(0); continue; }
    return undefined;
  }
  return undefined;
}

/** Whether `target` is reachable backwards from `from` within `limit` nodes. */
function dependsOn(from: Value, target: Value, limit = 400): boolean {
  const seen = new Set<Value>();
  const stack = [from];
  while (stack.length && seen.size < limit) {
    const v = stack.pop()!;
    if (v === target) return true;
    if (seen.has(v)) continue;
    seen.add(v);
    for (const x of v.producer?.inputs ?? []) if (x && !x.constant) stack.push(x);
  }
  return false;
}

function findVit(g: Graph): VitStructure | undefined {
  for (const n of g.nodes) {
    if (n.opType !== 'Concat' || n.inputs.length !== 2) continue;
    const s = n.outputs[0].shape;
    if (!s || s.length !== 3) continue;
    const axis = n.attrInt('axis');
    if (axis !== 1 && axis !== -2) continue;
    const [cls, patches] = n.inputs as Value[];
    if (!cls?.shape || cls.shape[1] !== 1 || !patches) continue;
    // the class token is a parameter (possibly expanded to the batch): constant-derived
    if (!(cls.constant || cls.producer?.inputs.every((x) => !x || x.constant))) continue;
    // position embedding: an Add with a constant [1, 1+T, D] right after the concat
    let tokens = n.outputs[0];
    const add = [...tokens.users].find((u) => u.opType === 'Add' && u.inputs.some((x) => x !== tokens && x?.constant));
    if (add) tokens = add.outputs[0];
    const blocks: Value[] = [tokens];
    let cur = tokens;
    const stream: Value[] = [tokens];
    for (;;) {
      const res = [...cur.users].find((u) => u.opType === 'Add' && u.inputs.length === 2 && u.inputs.some((x) => x && x !== cur && dependsOn(x, cur)));
      if (!res) break;
      cur = res.outputs[0];
      stream.push(cur);
    }
    if (stream.length < 3) continue;
    for (let i = 2; i < stream.length - 1; i += 2) blocks.push(stream[i]);
    const dims = tokens.dims;
    return { tokens, blocks, last: stream[stream.length - 1], width: dims[2], numPatches: dims[1] - 1 };
  }
  return undefined;
}

export function analyze(g: Graph): Analysis {
  const input = g.inputs[0], output = g.outputs[0];
  if (!input || !output) throw new Error('model has no inputs or no outputs');
  const featureSource = g.metadata[FEATURES_KEY];
  const head = featureSource ? undefined : findHead(output);
  const features = featureSource ? output : head?.features;
  let params = 0;
  for (const v of g.initializers()) if (v.dtype === 'float32' || v.dtype === 'float16') params += v.constant!.shape.reduce((a, b) => a * b, 1);
  const vit = findVit(g);
  const convs = g.nodes.filter((n) => n.opType === 'Conv');
  let family: Family = 'unknown';
  if (vit) family = 'vit';
  else if (convs.length) {
    const depthwise = convs.some((n) => n.attrInt('group', 1) > 1);
    const residual = g.nodes.some((n) => n.opType === 'Add' && n.inputs.every((x) => x && !x.constant && x.shape?.length === 4));
    family = residual && !depthwise ? 'resnet' : 'cnn';
  }
  return {
    family, input, output, features,
    featureWidth: features?.shape ? (features.shape[features.shape.length - 1] as number) : undefined,
    featureSource,
    headNode: head?.node,
    numClasses: output.shape && !featureSource ? (output.shape[output.shape.length - 1] as number) : undefined,
    vit, params,
  };
}
