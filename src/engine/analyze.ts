// Backbone analysis: family (vit / swin / resnet / cnn / unknown), the classifier head and its input (the
// penultimate features), and for token models the structure VPT needs — described by what a token model IS, not by
// one exporter's pattern: a patch embedding (a Conv whose stride equals its kernel) turns the image into T = h·w
// patch tokens; a residual stream of [N, S, D] values (x + f(x), two per pre-norm block) carries the sequence through
// the blocks; the S − T tokens before the patches are the prefix (CLS, distillation, registers; 0 for GAP models).
// The stream may run sequence-first ([S, N, D], nn.MultiheadAttention with batch_first=False): then the tokens are
// taken before the Transpose that enters it. Hierarchical token models (Swin: the window partition reshapes the
// token grid to 6-D) are family `swin`.
import type { Graph, Node, Value } from '../onnx/ir.ts';
import { FEATURES_KEY } from '../onnx/passes/feature-output.ts';

export type Family = 'vit' | 'swin' | 'resnet' | 'cnn' | 'unknown';

export interface VitStructure {
  /** The token sequence entering the first block, batch-first: [N, prefix+T, D]. */
  tokens: Value;
  /** Inputs of each transformer block on the residual stream (blocks[0] === tokens when seqAxis is 1). */
  blocks: Value[];
  /** Tokens before the patch tokens: 1 (CLS), 2 (CLS + distillation), 1 + registers, 0 (no class token). */
  prefix: number;
  /** The sequence axis of the residual stream (blocks): 1, or 0 for a sequence-first stream. */
  seqAxis: 0 | 1;
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
  /** Why these features where the head is not one linear layer (DeiT's averaged pair). */
  featureNote?: string;
  numClasses: number | undefined;
  vit: VitStructure | undefined;
  params: number;
}

const producerOp = (v: Value | null | undefined): string | undefined => v?.producer?.opType;

/** The token index a features value was gathered from (h[:, i] through Gather/Slice + Squeeze/Reshape), if any. */
function tokenIndex(v: Value): number | undefined {
  for (let hops = 0; hops < 4 && v.producer; hops++) {
    const n = v.producer;
    if (n.opType === 'Gather' && n.attrInt('axis', 0) === 1 && n.inputs[1]?.constant) return Number(n.input(1).constant!.data[0]);
    if (n.opType === 'Slice' && n.inputs[1]?.constant) return Number(n.input(1).constant!.data[0]);
    if (!['Squeeze', 'Reshape', 'Flatten', 'Identity'].includes(n.opType)) return undefined;
    v = n.input(0);
  }
  return undefined;
}

interface Head { node: Node; features: Value; note?: string }

/** Finds the final linear layer: Gemm, or Add(MatMul(x, W), b) / MatMul(x, W), possibly behind a Flatten/Reshape.
 * Two linear heads averaged (DeiT distilled: (cls_head(h[:,0]) + dist_head(h[:,1])) / 2): the class token's. */
function findHead(out: Value): Head | undefined {
  let v: Value = out;
  for (let hops = 0; hops < 6 && v.producer; hops++) {
    const n = v.producer;
    if (n.opType === 'Gemm' && n.input(1).constant) return { node: n, features: n.input(0) };
    if (n.opType === 'MatMul' && n.input(1).constant) return { node: n, features: n.input(0) };
    if ((n.opType === 'Div' || n.opType === 'Mul') && n.inputs[1]?.constant?.data.length === 1) { v = n.input(0); continue; }
    if (n.opType === 'Add') {
      const pair = n.inputs.every((x) => x && !x.constant) ? n.inputs.map((x) => findHead(x!)) : [];
      if (pair.length === 2 && pair[0] && pair[1]) {
        const cls = pair.find((h) => tokenIndex(h!.features) === 0) ?? pair[0];
        return { ...cls, note: 'the class token\'s head input (two heads are averaged, as in DeiT distilled: lp reads the class token, which cls_classifier reads; the distillation token learned from a CNN teacher)' };
      }
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

/** The patch embedding: a Conv with kernel = stride > 1 on 3 input channels, and its token grid h·w. */
function patchEmbedding(g: Graph): { node: Node; patches: number } | undefined {
  for (const n of g.nodes) {
    if (n.opType !== 'Conv' || !n.inputs[1]?.constant) continue;
    const ws = n.input(1).constant!.shape, k = n.attrInts('kernel_shape', ws.slice(2)), st = n.attrInts('strides', [1, 1]);
    const out = n.outputs[0].shape;
    if (ws.length !== 4 || ws[1] !== 3 || k[0] < 2 || st[0] !== k[0] || st[1] !== k[1] || !out || out.length !== 4) continue;
    if (typeof out[2] !== 'number' || typeof out[3] !== 'number') continue;
    return { node: n, patches: out[2] * out[3] };
  }
  return undefined;
}

const sameDims = (a: Value, b: Value) => !!a.shape && !!b.shape && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape![i]);

/** The residual Add that continues the stream from `cur` (cur + f(cur)), if any. */
function residualUser(cur: Value): Node | undefined {
  return [...cur.users].find((u) => u.opType === 'Add' && u.inputs.length === 2 && u.inputs.every((x) => x && !x.constant && sameDims(x, cur))
    && u.inputs.some((x) => x && x !== cur && dependsOn(x, cur)));
}

function findVit(g: Graph): VitStructure | undefined {
  const pe = patchEmbedding(g);
  if (!pe) return undefined;
  // the stream starts at the first rank-3 value (in graph order) that two residual Adds follow
  for (const n of g.nodes) {
    for (const start of n.outputs) {
      if (start.shape?.length !== 3 || !residualUser(start)) continue;
      const stream: Value[] = [start];
      for (let cur = start, r = residualUser(cur); r; r = residualUser(cur)) { cur = r.outputs[0]; stream.push(cur); }
      if (stream.length < 3) continue;
      const dims = start.dims;
      // batch-first [N, S, D], or sequence-first [S, N, D] entered through a Transpose of the batch-first tokens
      let tokens = start, seqAxis: 0 | 1 = 1;
      const t = start.producer;
      if (t?.opType === 'Transpose' && t.attrInts('perm', []).join() === '1,0,2') { tokens = t.input(0); seqAxis = 0; }
      const S = tokens.dims[1], D = dims[2];
      const prefix = S - pe.patches;
      if (prefix < 0 || prefix > 16) return undefined;
      const blocks: Value[] = [start];
      for (let i = 2; i < stream.length - 1; i += 2) blocks.push(stream[i]);
      return { tokens, blocks, prefix, seqAxis, last: stream[stream.length - 1], width: D, numPatches: pe.patches };
    }
  }
  return undefined;
}

/** A hierarchical token model: after a patch embedding, a window partition reshapes the token grid to 6-D. */
function isSwin(g: Graph): boolean {
  return !!patchEmbedding(g) && g.nodes.some((n) => n.opType === 'Reshape' && n.outputs[0].shape?.length === 6);
}

export function analyze(g: Graph): Analysis {
  const input = g.inputs[0], output = g.outputs[0];
  if (!input || !output) throw new Error('model has no inputs or no outputs');
  const featureSource = g.metadata[FEATURES_KEY];
  const head = featureSource ? undefined : findHead(output);
  const features = featureSource ? output : head?.features;
  let params = 0;
  for (const v of g.initializers()) if (v.dtype === 'float32' || v.dtype === 'float16') params += v.constant!.shape.reduce((a, b) => a * b, 1);
  const swin = isSwin(g);
  const vit = swin ? undefined : findVit(g);
  const convs = g.nodes.filter((n) => n.opType === 'Conv');
  let family: Family = 'unknown';
  if (swin) family = 'swin';
  else if (vit) family = 'vit';
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
    ...(head?.note ? { featureNote: head.note } : {}),
    numClasses: output.shape && !featureSource ? (output.shape[output.shape.length - 1] as number) : undefined,
    vit, params,
  };
}
