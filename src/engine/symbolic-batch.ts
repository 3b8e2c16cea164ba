// The deployable model's symbolic batch: every graph the engine compiles is specialised to one batch size (static
// shapes, the batch baked into Reshape targets, Expand shapes, …), but the model.onnx a user deploys should take any
// batch, as torchvision / optimum exports do. The same forward graph compiled at two batch sizes b₁ ≠ b₂ tells
// which integer constants carry the batch: each element that differs is fitted as a·N + c (integer a, c) and
// rewritten as a runtime computation on N = Shape(images)[0]; `images` and the output become [N,…].
// Refused (a one-line reason, the graph left as it was) where the two compilations differ in any other way: another
// node structure or attribute, a float constant or a constant's shape that depends on the batch, a non-affine
// element. The caller then keeps a fixed batch and says so. Intermediate values whose shape depends on the batch
// lose their (static) shape annotation; onnxruntime infers them.
import type { Dim, Graph, Node, Value } from '../onnx/ir.ts';
import { toposort } from '../onnx/passes/toposort.ts';
import { fromNumbers, toNumbers, type Tensor, type TypedArray } from '../onnx/tensor.ts';

/** What of a compiled graph depends on the batch: its structure, constants and shapes (weights only hashed, so
 * the second compilation's weights need not stay in memory). */
export interface BatchSkeleton {
  nodes: string[];
  inputs: string[];
  outputs: string[];
  /** Initializers: dtype and shape, the values of integer ones, a hash of the others. */
  consts: Map<string, { dtype: string; shape: number[]; ints?: number[]; hash?: number }>;
  shapes: Map<string, Dim[] | undefined>;
}

const INT = new Set(['int64', 'int32']);

const json = (x: unknown): string => JSON.stringify(x, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString()
  : ArrayBuffer.isView(v) ? Array.from(v as unknown as ArrayLike<number | bigint>, (e) => (typeof e === 'bigint' ? e.toString() : e)) : v));

const signature = (n: Node): string =>
  `${n.domain}:${n.opType} ${n.inputs.map((v) => v?.name ?? '').join(',')} -> ${n.outputs.map((v) => v.name).join(',')} ${json(n.attrs)}`;

/** FNV-1a over the tensor's bytes (32-bit words where aligned). */
function hashBytes(t: Tensor): number {
  const d = t.data as TypedArray;
  let h = 0x811c9dc5;
  if (d.byteOffset % 4 === 0 && d.byteLength % 4 === 0) {
    const w = new Int32Array(d.buffer, d.byteOffset, d.byteLength / 4);
    for (let i = 0; i < w.length; i++) h = Math.imul(h ^ w[i], 0x01000193);
  } else {
    const u = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
    for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 0x01000193);
  }
  return h >>> 0;
}

const initializers = (g: Graph): Value[] => g.initializers().filter((v) => v.users.size > 0 || g.outputs.includes(v));

export function batchSkeleton(g: Graph): BatchSkeleton {
  const consts: BatchSkeleton['consts'] = new Map();
  for (const v of initializers(g)) {
    const t = v.constant!;
    consts.set(v.name, { dtype: t.dtype, shape: [...t.shape], ...(INT.has(t.dtype) ? { ints: toNumbers(t) } : { hash: hashBytes(t) }) });
  }
  const shapes = new Map<string, Dim[] | undefined>();
  for (const v of g.values.values()) shapes.set(v.name, v.shape && [...v.shape]);
  return { nodes: g.nodes.map(signature), inputs: g.inputs.map((v) => v.name), outputs: g.outputs.map((v) => v.name), consts, shapes };
}

/** The one axis of `t` (at batch b₁) that is b₁ where the other compilation's constant has b₂, every other dim the
 * same, when `t` is a single slice repeated along it and `o` hashes as that slice repeated b₂ times; else −1. */
function broadcastAxis(t: Tensor, b1: number, o: { shape: number[]; ints?: number[]; hash?: number }, b2: number): number {
  const s = t.shape;
  if (s.length !== o.shape.length) return -1;
  const diff = s.flatMap((d, i) => (d === o.shape[i] ? [] : [i]));
  if (diff.length !== 1 || s[diff[0]] !== b1 || o.shape[diff[0]] !== b2 || t.dtype === 'string') return -1;
  const axis = diff[0], d = t.data as TypedArray;
  const outer = s.slice(0, axis).reduce((a, x) => a * x, 1);
  if (outer !== 1) return -1; // only a leading repeat (outer size 1) is a contiguous block repeated
  const block = d.length / b1;
  const u = new Uint8Array(d.buffer, d.byteOffset, d.byteLength), bb = u.length / b1;
  for (let r = 1; r < b1; r++) for (let j = 0; j < bb; j++) if (u[r * bb + j] !== u[j]) return -1;
  const tiled = new (d.constructor as new (n: number) => TypedArray)(block * b2);
  for (let r = 0; r < b2; r++) (tiled as Float32Array).set(d.subarray(0, block) as Float32Array, r * block);
  const same = o.ints ? sameList(o.ints, toNumbers({ dtype: t.dtype, shape: o.shape, data: tiled } as Tensor)) : o.hash === hashBytes({ dtype: t.dtype, shape: o.shape, data: tiled } as Tensor);
  return same ? axis : -1;
}

/** a·N + c through (b₁, x₁), (b₂, x₂), when a is an integer. */
function affine(x1: number, b1: number, x2: number, b2: number): { a: number; c: number } | undefined {
  const a = (x2 - x1) / (b2 - b1);
  return Number.isInteger(a) ? { a, c: x1 - a * b1 } : undefined;
}

const sameList = (a: readonly unknown[], b: readonly unknown[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Makes `g` (compiled at batch `b1`, its first input the images) take any batch, given the skeleton of the same
 * graph compiled at batch `b2`. Returns undefined when done, else why not (then `g` is unchanged).
 */
export function symbolizeBatch(g: Graph, b1: number, other: BatchSkeleton, b2: number): string | undefined {
  const mine = batchSkeleton(g);
  if (!sameList(mine.inputs, other.inputs) || !sameList(mine.outputs, other.outputs)) return 'the graph\'s inputs or outputs depend on the batch size';
  if (mine.nodes.length !== other.nodes.length) return `the graph has ${mine.nodes.length} nodes at batch ${b1} but ${other.nodes.length} at batch ${b2}`;
  const n = mine.nodes.findIndex((s, i) => s !== other.nodes[i]);
  if (n >= 0) return `${g.nodes[n].opType} '${g.nodes[n].name}' differs between batch sizes`;
  if (mine.consts.size !== other.consts.size) return 'the graph\'s constants depend on the batch size';
  const rewrites: { v: Value; a: number[]; c: number[] }[] = [];
  const expands: { v: Value; axis: number }[] = [];
  for (const [name, k] of mine.consts) {
    const o = other.consts.get(name);
    if (!o || o.dtype !== k.dtype) return `constant '${name}' depends on the batch size`;
    if (!sameList(o.shape, k.shape)) {
      const axis = broadcastAxis(g.values.get(name)!.constant!, b1, o, b2);
      if (axis < 0) return `constant '${name}' is [${k.shape}] at batch ${b1} but [${o.shape}] at batch ${b2}`;
      expands.push({ v: g.values.get(name)!, axis });
      continue;
    }
    if (!k.ints) { if (o.hash !== k.hash) return `constant '${name}' depends on the batch size`; continue; }
    if (sameList(k.ints, o.ints!)) continue;
    if (k.shape.length > 1) return `constant '${name}' of rank ${k.shape.length} carries the batch`;
    const fit = k.ints.map((x, i) => affine(x, b1, o.ints![i], b2));
    if (fit.some((f) => !f)) return `constant '${name}' is not an integer multiple of the batch plus a constant`;
    rewrites.push({ v: g.values.get(name)!, a: fit.map((f) => f!.a), c: fit.map((f) => f!.c) });
  }
  const dims = new Map<Value, Dim[] | undefined>();
  for (const v of g.values.values()) {
    const s = v.shape, t = other.shapes.get(v.name);
    if (!s || !t || sameList(s, t)) continue;
    if (s.length !== t.length) return `'${v.name}' has rank ${s.length} at batch ${b1} but ${t.length} at batch ${b2}`;
    dims.set(v, s.map((d, i) => (d === t[i] ? d : d === b1 && t[i] === b2 ? 'N' : '?')));
  }
  const images = g.inputs[0];
  if (dims.get(images)?.[0] !== 'N' || dims.get(images)!.slice(1).some((d) => typeof d !== 'number')) return 'the batch is not the first axis of the images';
  for (const [v, s] of dims) v.shape = g.inputs.includes(v) || g.outputs.includes(v) ? (s!.includes('?') ? undefined : s) : undefined;
  for (const { v, axis } of expands) {
    // the constant is one slice repeated along the batch axis (an exporter's Expand, folded): Expand(slice, shape)
    const t = v.constant!, shape = t.shape;
    const slice = g.addInitializer(`${v.name}/one`, { dtype: t.dtype, shape: shape.map((d, i) => (i === axis ? 1 : d)), data: (t.data as TypedArray).slice(0, t.data.length / shape[axis]) } as Tensor);
    const target = g.addInitializer(`${v.name}/shape`, fromNumbers('int64', [shape.length], shape));
    rewrites.push({ v: target, a: shape.map((_, i) => (i === axis ? 1 : 0)), c: shape.map((d, i) => (i === axis ? 0 : d)) });
    const e = g.newValue(`${v.name}/expanded`); e.dtype = t.dtype;
    g.addNode('Expand', [slice, target], [e], {}, { name: g.freshNodeName('vp/batch/Expand'), at: 0 });
    g.replaceAllUses(v, e);
  }
  emitBatchConstants(g, images, rewrites);
  toposort(g);
  g.pruneValues();
  return undefined;
}

/** N = Shape(images)[0:1]; each rewritten constant becomes A·N + C (in its own integer type, rank 0 or 1). */
function emitBatchConstants(g: Graph, images: Value, rewrites: { v: Value; a: number[]; c: number[] }[]): void {
  if (!rewrites.length) return;
  const out = (hint: string, dtype: Tensor['dtype'], shape: number[]): Value => { const v = g.newValue(hint); v.dtype = dtype; v.shape = shape; return v; };
  const node = (op: string, ins: Value[], o: Value, attrs: Node['attrs'] = {}) => { g.addNode(op, ins, [o], attrs, { name: g.freshNodeName(`vp/batch/${op}`), at: 0 }); return o; };
  const shape = node('Shape', [images], out('vp/batch/shape', 'int64', [images.shape!.length]));
  const n64 = node('Gather', [shape, g.addInitializer('vp/batch/zero', fromNumbers('int64', [1], [0]))], out('vp/batch/N', 'int64', [1]), { axis: { type: 'int', value: 0 } });
  const byType = new Map<string, Value>([['int64', n64]]);
  for (const { v, a, c } of rewrites) {
    const t = v.constant!;
    let nn = byType.get(t.dtype);
    if (!nn) byType.set(t.dtype, nn = node('Cast', [n64], out(`vp/batch/N_${t.dtype}`, t.dtype, [1]), { to: { type: 'int', value: 6 } }));
    if (t.shape.length === 0) nn = node('Reshape', [nn, g.addInitializer('vp/batch/scalar', fromNumbers('int64', [0], []))], out('vp/batch/N_scalar', t.dtype, []));
    const prod = node('Mul', [nn, g.addInitializer(`${v.name}/per_batch`, fromNumbers(t.dtype, [...t.shape], a))], out(`${v.name}/scaled`, t.dtype, [...t.shape]));
    const r = node('Add', [prod, g.addInitializer(`${v.name}/offset`, fromNumbers(t.dtype, [...t.shape], c))], out(`${v.name}/for_batch`, t.dtype, [...t.shape]));
    g.replaceAllUses(v, r);
  }
}
