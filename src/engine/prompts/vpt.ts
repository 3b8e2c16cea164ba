// VPT (Jia et al., ECCV 2022; docs/METHODS.md): splices learnable prompt tokens into a loaded, statically shaped
// ViT graph. Shallow: h0' = [h0[:, :k], P, h0[:, k:]] where the first block reads the sequence, after the k prefix
// tokens (CLS; DeiT's distillation token; registers; none in a GAP model) as VPT puts them after CLS (sequence
// k+T → k+p+T); then the sequence length baked into the exporter's constants downstream is re-specialised
// (passes/respecialize), an additive constant that carries it (BEiT's relative-position bias [1,heads,S,S]) padded
// with zeros for the prompt positions, as VPT's code pads it. Deep: before every block i ≥ 1 the prompt positions are replaced by that block's own
// tokens, h = [h[:, :k], P_i, h[:, k+p:]] (no length change), along the stream's sequence axis (0 for a
// sequence-first nn.MultiheadAttention stream). Also the paper's init bound and the patch size it needs.
import { Builder } from '../../onnx/builder.ts';
import { assertValid } from '../../onnx/checker.ts';
import type { Graph, Node, Value } from '../../onnx/ir.ts';
import { resizeAxis } from '../../onnx/passes/respecialize.ts';
import { toposort } from '../../onnx/passes/toposort.ts';
import type { VitStructure } from '../analyze.ts';

export interface VptInsertion {
  /** Prompt length p. */
  length: number;
  /** The sequence entering each transformer block after insertion, [N, 1+p+T, D]. */
  blocks: Value[];
}

/** VPT's uniform init bound v = sqrt(6 / (3·patch_h·patch_w + D)) (0.0625 for ViT-B/16). */
export function vptInitBound(patch: number | [number, number], D: number): number {
  const [ph, pw] = typeof patch === 'number' ? [patch, patch] : patch;
  return Math.sqrt(6 / (3 * ph * pw + D));
}

/** Kernel [h, w] of the patch-embedding Conv: the Conv whose strides equal its kernel, nearest the graph input. */
export function patchKernel(g: Graph): [number, number] {
  for (const n of g.nodes) {
    if (n.opType !== 'Conv') continue;
    const w = n.input(1).shape;
    const k = n.attrs.kernel_shape ? n.attrInts('kernel_shape') : (w?.slice(2) as number[] | undefined);
    if (!k || k.length !== 2) continue;
    const s = n.attrInts('strides', [1, 1]);
    if (s[0] === k[0] && s[1] === k[1]) return [k[0], k[1]];
  }
  throw new Error('no patch-embedding Conv (kernel = stride) found: is this a ViT?');
}

/** Patch size of a ViT (square patches; use patchKernel for [h, w]). */
export function patchSize(g: Graph): number {
  const [h, w] = patchKernel(g);
  if (h !== w) throw new Error(`patch-embedding kernel is ${h}x${w}, not square: use patchKernel`);
  return h;
}

/** Points the users of `from` (except `keep`) and the graph outputs at `to`. */
function rewire(g: Graph, from: Value, to: Value, keep: Set<Node>): void {
  for (const u of [...from.users]) {
    if (keep.has(u)) continue;
    u.inputs.forEach((v, i) => { if (v === from) g.setInput(u, i, to); });
  }
  g.outputs = g.outputs.map((o) => (o === from ? to : o));
}

function slice1(b: Builder, x: Value, start: number, end: number, axis: number): Value {
  if (b.g.opset >= 10) return b.op('Slice', [x, b.constI64([start]), b.constI64([end]), b.constI64([axis])]);
  return b.op('Slice', [x], { starts: [start], ends: [end], axes: [axis] });
}

/** [h[:k], P (broadcast to the batch), h[from:]] along the sequence axis (1: [N, S, D], 0: [S, N, D]). */
function splice(b: Builder, h: Value, prompt: Value, k: number, from: number, axis: 0 | 1): Value {
  const dims = h.dims, s = dims[axis], n = dims[1 - axis], d = dims[2], [p] = prompt.dims;
  const pb = axis === 1 ? b.op('Expand', [prompt, b.constI64([n, p, d])], {}, 'prompt')
    : b.op('Expand', [b.unsqueeze(prompt, [1]), b.constI64([p, n, d])], {}, 'prompt');
  const parts = [...(k > 0 ? [slice1(b, h, 0, k, axis)] : []), pb, ...(from < s ? [slice1(b, h, from, s, axis)] : [])];
  return b.op('Concat', parts, { axis }, 'tokens');
}

/**
 * Inserts VPT prompt tokens into `g` in place. `tokens` is a graph value [p, D] (usually a trainable graph
 * input); `deep` (optional) is [depth − 1, p, D], the tokens of blocks 1 … depth − 1. `vit` is analyze(g).vit of
 * the same graph, before insertion. The graph stays valid and static; its outputs keep their meaning. When an op
 * downstream cannot be re-specialised this throws (one line naming the node) and leaves `g` as it was.
 */
export function insertVptTokens(g: Graph, vit: VitStructure, tokens: Value, deep?: Value): VptInsertion {
  const h0 = vit.tokens, [, s0, d] = h0.dims, k = vit.prefix;
  const td = tokens.dims;
  if (td.length !== 2 || td[1] !== d) throw new Error(`VPT tokens must be [p, ${d}], got [${td}]`);
  const p = td[0], depth = vit.blocks.length;
  if (p < 1) throw new Error('VPT needs at least one prompt token');
  if (deep) {
    const dd = deep.dims;
    if (dd.length !== 3 || dd[0] !== depth - 1 || dd[1] !== p || dd[2] !== d) {
      throw new Error(`VPT deep tokens must be [${depth - 1}, ${p}, ${d}], got [${dd}]`);
    }
  }
  if (!g.nodes.includes(h0.producer!)) throw new Error(`VPT: '${h0.name}' is not produced in this graph`);
  const b = new Builder(g, 'vpt/');
  const seq = splice(b, h0, tokens, k, k, 1);
  rewire(g, h0, seq, new Set(b.emitted));
  try {
    resizeAxis(g, seq, 1, s0 + p, s0, { insertAt: k });
  } catch (e) {
    // resizeAxis changed nothing: take the splice out again so the graph is as it was
    rewire(g, seq, h0, new Set());
    for (const n of b.emitted) g.removeNode(n);
    g.pruneValues();
    throw e;
  }
  const blocks = [vit.seqAxis === 1 ? seq : vit.blocks[0], ...vit.blocks.slice(1)];
  if (deep) {
    for (let i = 1; i < depth; i++) {
      const hb = blocks[i], mark = b.emitted.length;
      const pi = b.op('Gather', [deep, b.constI64([i - 1], [])], { axis: 0 }, `deep_${i}`);
      blocks[i] = splice(b, hb, pi, k, k + p, vit.seqAxis);
      rewire(g, hb, blocks[i], new Set(b.emitted.slice(mark)));
    }
  }
  toposort(g);
  assertValid(g);
  return { length: p, blocks };
}
