// Pass: pin the image input to [batch, 3, L, L]. Hub exports leave channels/height/width symbolic (optimum:
// `pixel_values` [batch_size,num_channels,height,width]); the engine compiles static shapes, so L is chosen once
// at load. `nativeInputSize` says whether the graph itself fixes L: numeric height = width in the file, or a ViT
// whose position embeddings hold n×n patches of a k×k/stride-k patch convolution (L = n·k) and are not resized
// at run time (a Resize on their path, as some DINOv2 exports have, adapts them to any L — unless its scale is a
// constant traced at export, which fixes L at the traced size).
// Invariants after `pinInput`: the first graph input has shape [b, 3, L, L] (b: its old batch dim, symbolic or
// fixed); all other value shapes are cleared for re-inference; nothing else changes. Refused in one line: a
// non-4-D input, channels other than 3, a non-square or conflicting fixed size.
import type { Graph, Node, Value } from '../ir.ts';

export interface NativeSize { size: number; why: string }

const isSquareInt = (t: number) => Number.isInteger(Math.sqrt(t)) && t > 0;

/** The patch-embedding Conv: kernel = stride > 1, constant weight [D, 3, k, k]. */
function patchConv(g: Graph): Node | undefined {
  return g.nodes.find((n) => {
    if (n.opType !== 'Conv' || !n.input(1).constant) return false;
    const ws = n.input(1).constant!.shape, k = n.attrInts('kernel_shape', ws.slice(2)), s = n.attrInts('strides', [1, 1]);
    return ws.length === 4 && ws[1] === 3 && k[0] > 1 && k[0] === k[1] && s[0] === k[0] && s[1] === k[1];
  });
}

/** Whether `v` is added to the tokens (a position embedding) within a few hops of slicing / reshaping /
 * resizing — not a token concatenated to them (CLS, registers: expanded to the batch first). */
function addedToTokens(v: Value, hops = 10): boolean {
  if (hops === 0) return false;
  for (const u of v.users) {
    if (u.opType === 'Add') return true;
    if (['Slice', 'Gather', 'Reshape', 'Transpose', 'Resize', 'Concat', 'Cast', 'Unsqueeze', 'Squeeze', 'Flatten'].includes(u.opType)
      && u.outputs.some((o) => addedToTokens(o, hops - 1))) return true;
  }
  return false;
}

/** The Resize that `v` reaches within a few hops downstream, if any. */
function feedsResize(v: Value, hops = 6): Node | undefined {
  if (hops === 0) return undefined;
  for (const u of v.users) {
    if (u.opType === 'Resize' || u.opType === 'Upsample') return u;
    for (const o of u.outputs) { const r = feedsResize(o, hops - 1); if (r) return r; }
  }
  return undefined;
}

/** A Resize by constant scales and no sizes: the exporter traced `scale_factor = patches / grid` at one input size. */
function constantScale(r: Node): number | undefined {
  if (r.opType !== 'Resize' || r.inputs[3] || !r.inputs[2]?.constant) return undefined;
  const sc = Array.from(r.inputs[2].constant.data as ArrayLike<number>).map(Number);
  return sc.length === 4 && sc[2] === sc[3] ? sc[2] : undefined;
}

export function nativeInputSize(g: Graph): NativeSize | undefined {
  const s = g.inputs[0]?.shape;
  if (s && s.length === 4 && typeof s[2] === 'number' && typeof s[3] === 'number') {
    if (s[2] !== s[3]) throw new Error(`model input '${g.inputs[0].name}' is ${s[2]}×${s[3]}: a square input is needed`);
    return { size: s[2], why: 'the input shape in the file' };
  }
  const conv = patchConv(g);
  if (!conv) return undefined;
  const ws = conv.input(1).constant!.shape, D = ws[0], k = ws[2];
  // a position grid [1, D, n, n] stored as such and resized by a constant scale traced at export
  for (const r of g.nodes) {
    const grid = r.opType === 'Resize' ? r.inputs[0]?.constant?.shape : undefined, scale = constantScale(r);
    if (!grid || scale === undefined || grid.length !== 4 || grid[1] !== D || grid[2] !== grid[3]) continue;
    const n = Math.floor(grid[2] * scale);
    return { size: n * k, why: `position grid (${grid[2]}×${grid[2]}, resized by a constant scale traced at export to ${n}×${n} patches of ${k}: this export only runs at L = ${n * k})` };
  }
  // the largest [1, T, D] constant with T = n² (+ class / distillation tokens), n ≥ 2 (the class token is [1,1,D])
  let best: { v: Value; n: number; T: number } | undefined;
  for (const v of g.initializers()) {
    const t = v.constant!.shape;
    if (t.length !== 3 || t[0] !== 1 || t[2] !== D || (v.dtype !== 'float32' && v.dtype !== 'float16') || !addedToTokens(v)) continue;
    const extra = [1, 0, 2].find((e) => t[1] - e >= 4 && isSquareInt(t[1] - e));
    if (extra !== undefined && (!best || t[1] > best.T)) best = { v, n: Math.sqrt(t[1] - extra), T: t[1] };
  }
  if (!best) return undefined;
  const resize = feedsResize(best.v);
  if (resize) {
    // resized at run time to the input's patch grid — unless the scale was traced as a constant (DINOv2 exports
    // with `scale_factor = h / 37`): then only the traced size runs
    const scale = constantScale(resize);
    if (scale === undefined) return undefined;
    const n = Math.floor(best.n * scale);
    return { size: n * k, why: `position embeddings (${best.n}×${best.n}, resized by a constant scale traced at export to ${n}×${n} patches of ${k}: this export only runs at L = ${n * k})` };
  }
  return { size: best.n * k, why: `position embeddings of ${best.n}×${best.n} patches of ${k}` };
}

export function pinInput(g: Graph, size: number): boolean {
  const x = g.inputs[0];
  if (!x) throw new Error('model has no inputs');
  const s = x.shape;
  if (!s || s.length !== 4) throw new Error(`model input '${x.name}' has shape [${s ?? '?'}]; an NCHW image input [N,3,H,W] is needed`);
  if (typeof s[1] === 'number' && s[1] !== 3) throw new Error(`model input '${x.name}' has ${s[1]} channels; RGB (3) is needed`);
  for (const d of [s[2], s[3]]) {
    if (typeof d === 'number' && d !== size) throw new Error(`model input '${x.name}' is fixed at ${s[2]}×${s[3]}; input size ${size} does not fit it`);
  }
  const want = [s[0], 3, size, size];
  if (s.every((d, i) => d === want[i])) return false;
  x.shape = want;
  for (const n of g.nodes) for (const o of n.outputs) o.shape = undefined;
  return true;
}
