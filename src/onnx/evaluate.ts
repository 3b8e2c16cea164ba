// Host evaluation of small constant subgraphs (the shape arithmetic exporters emit: Shape, Gather, Concat,
// Unsqueeze, ConstantOfShape, Slice, Range, elementwise maths…). Values are computed in float64 and cast back.
import type { Node } from './ir.ts';
import { resizeValues } from './resize.ts';
import { broadcastShapes, normAxis, reducedAxes, sliceRange } from './shapes.ts';
import { fromNumbers, numel, toNumbers, type DType, type Tensor } from './tensor.ts';

interface NT { dtype: DType; shape: number[]; v: number[] }
type Kernel = (n: Node, xs: (NT | null)[], opset: number) => NT[];

const nt = (t: Tensor): NT => ({ dtype: t.dtype, shape: [...t.shape], v: toNumbers(t) });
const isInt = (d: DType) => d !== 'float32' && d !== 'float64' && d !== 'float16';

function strides(shape: number[]): number[] {
  const s = new Array(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Index of element `flat` of `out` shape inside a broadcast operand of shape `src`. */
function bcastIndex(flat: number, out: number[], outStr: number[], src: number[]): number {
  let idx = 0, mul = 1;
  for (let i = out.length - 1, j = src.length - 1; i >= 0; i--, j--) {
    const c = Math.floor(flat / outStr[i]) % out[i];
    if (j >= 0) { if (src[j] !== 1) idx += c * mul; mul *= src[j]; }
  }
  return idx;
}

function map(xs: NT[], dtype: DType, f: (...a: number[]) => number): NT {
  const shape = broadcastShapes(...xs.map((x) => x.shape)) as number[];
  const str = strides(shape), n = numel(shape);
  const v = new Array<number>(n);
  for (let i = 0; i < n; i++) v[i] = f(...xs.map((x) => x.v[bcastIndex(i, shape, str, x.shape)]));
  return { dtype, shape, v };
}

const unary = (f: (a: number) => number): Kernel => (_n, [x]) => [map([x!], x!.dtype, f)];
const binary = (f: (a: number, b: number, int: boolean) => number, out?: DType): Kernel => (_n, [a, b]) =>
  [map([a!, b!], out ?? a!.dtype, (p, q) => f(p, q, isInt(a!.dtype)))];
const view = (shape: (n: Node, xs: (NT | null)[]) => number[]): Kernel => (n, xs) => [{ ...xs[0]!, shape: shape(n, xs) }];

function transpose(x: NT, perm: number[]): NT {
  const shape = perm.map((p) => x.shape[p]), istr = strides(x.shape), ostr = strides(shape), n = numel(shape);
  const v = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let a = 0; a < shape.length; a++) src += (Math.floor(i / ostr[a]) % shape[a]) * istr[perm[a]];
    v[i] = x.v[src];
  }
  return { dtype: x.dtype, shape, v };
}

function gather(x: NT, idx: NT, axis: number): NT {
  const outer = numel(x.shape.slice(0, axis)), inner = numel(x.shape.slice(axis + 1)), d = x.shape[axis];
  const v: number[] = [];
  for (let o = 0; o < outer; o++) for (const i0 of idx.v) {
    const i = i0 < 0 ? i0 + d : i0;
    if (i < 0 || i >= d) throw new Error(`Gather index ${i0} out of range for dimension ${d}`);
    for (let k = 0; k < inner; k++) v.push(x.v[(o * d + i) * inner + k]);
  }
  return { dtype: x.dtype, shape: [...x.shape.slice(0, axis), ...idx.shape, ...x.shape.slice(axis + 1)], v };
}

function slice(x: NT, starts: number[], ends: number[], axes: number[], steps: number[]): NT {
  const r = x.shape.length;
  const first = new Array(r).fill(0), step = new Array(r).fill(1), shape = [...x.shape];
  axes.forEach((a0, j) => {
    const a = normAxis(a0, r);
    const s = sliceRange(x.shape[a], starts[j], ends[j], steps[j]);
    first[a] = s.start; step[a] = steps[j]; shape[a] = s.count;
  });
  const istr = strides(x.shape), ostr = strides(shape), n = numel(shape);
  const v = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let src = 0;
    for (let a = 0; a < r; a++) src += (first[a] + (Math.floor(i / ostr[a]) % shape[a]) * step[a]) * istr[a];
    v[i] = x.v[src];
  }
  return { dtype: x.dtype, shape, v };
}

/** ScatterND with reduction 'none': a copy of data with the slices that indices address replaced by updates. */
function scatterND(n: Node, d: NT, idx: NT, upd: NT): NT {
  const red = n.attrString('reduction', 'none');
  if (red !== 'none') throw new Error(`ScatterND '${n.name}': reduction '${red}' is not supported (only 'none')`);
  const k = idx.shape[idx.shape.length - 1], str = strides(d.shape), inner = numel(d.shape.slice(k));
  const count = numel(idx.shape.slice(0, -1)), v = [...d.v];
  for (let c = 0; c < count; c++) {
    let off = 0;
    for (let j = 0; j < k; j++) {
      const i0 = idx.v[c * k + j], i = i0 < 0 ? i0 + d.shape[j] : i0;
      if (i < 0 || i >= d.shape[j]) throw new Error(`ScatterND '${n.name}': index ${i0} out of range for dimension ${d.shape[j]}`);
      off += i * str[j];
    }
    for (let t = 0; t < inner; t++) v[off + t] = upd.v[c * inner + t];
  }
  return { dtype: d.dtype, shape: d.shape, v };
}

const castTo = (dtype: DType, x: number): number => (dtype === 'bool' ? (x ? 1 : 0) : isInt(dtype) ? Math.trunc(x) : dtype === 'float32' ? Math.fround(x) : x);

const KERNELS: Record<string, Kernel> = {
  Identity: (_n, [x]) => [x!],
  Neg: unary((a) => -a), Abs: unary(Math.abs), Sqrt: unary(Math.sqrt), Reciprocal: unary((a) => 1 / a),
  Floor: unary(Math.floor), Ceil: unary(Math.ceil), Exp: unary(Math.exp), Log: unary(Math.log), Sign: unary(Math.sign),
  Relu: unary((a) => Math.max(a, 0)), Sin: unary(Math.sin), Cos: unary(Math.cos),
  Not: (_n, [x]) => [map([x!], 'bool', (a) => (a ? 0 : 1))],
  Add: binary((a, b) => a + b), Sub: binary((a, b) => a - b), Mul: binary((a, b) => a * b),
  Div: binary((a, b, int) => (int ? Math.trunc(a / b) : a / b)), Pow: binary((a, b) => a ** b),
  Mod: binary((a, b) => a - Math.floor(a / b) * b),
  Max: (_n, xs) => [map(xs as NT[], xs[0]!.dtype, Math.max)], Min: (_n, xs) => [map(xs as NT[], xs[0]!.dtype, Math.min)],
  Equal: binary((a, b) => +(a === b), 'bool'), Less: binary((a, b) => +(a < b), 'bool'), Greater: binary((a, b) => +(a > b), 'bool'),
  LessOrEqual: binary((a, b) => +(a <= b), 'bool'), GreaterOrEqual: binary((a, b) => +(a >= b), 'bool'),
  And: binary((a, b) => +(a && b), 'bool'), Or: binary((a, b) => +(a || b), 'bool'),
  Where: (_n, [c, a, b]) => [map([c!, a!, b!], a!.dtype, (p, q, r) => (p ? q : r))],
  Cast: (n, [x]) => { const to = n.outputs[0].dtype!; return [{ dtype: to, shape: x!.shape, v: x!.v.map((a) => castTo(to, a)) }]; },
  Reshape: view((n) => n.outputs[0].dims), Flatten: view((n) => n.outputs[0].dims),
  Squeeze: view((n) => n.outputs[0].dims), Unsqueeze: view((n) => n.outputs[0].dims),
  Expand: (n, [x]) => [map([x!, { dtype: x!.dtype, shape: n.outputs[0].dims, v: new Array(numel(n.outputs[0].dims)).fill(0) }], x!.dtype, (a) => a)],
  Shape: (n) => [{ dtype: 'int64', shape: n.outputs[0].dims, v: [] }],
  Size: (n) => [{ dtype: 'int64', shape: [], v: [numel(n.input(0).dims)] }],
  Gather: (n, [x, i]) => [gather(x!, i!, normAxis(n.attrInt('axis', 0), x!.shape.length))],
  Concat: (n, xs) => {
    const parts = xs.filter((x): x is NT => !!x);
    const axis = normAxis(n.attrInt('axis'), parts[0].shape.length);
    const outer = numel(parts[0].shape.slice(0, axis)), v: number[] = [];
    for (let o = 0; o < outer; o++) for (const p of parts) {
      const blk = numel(p.shape.slice(axis));
      for (let k = 0; k < blk; k++) v.push(p.v[o * blk + k]);
    }
    return [{ dtype: parts[0].dtype, shape: n.outputs[0].dims, v }];
  },
  Slice: (n, xs, opset) => {
    const get = (i: number, attr: string, d?: number[]) => (opset >= 10 ? (xs[i]?.v ?? d) : n.attrInts(attr, d));
    const starts = get(1, 'starts')!, ends = get(2, 'ends')!;
    const axes = get(3, 'axes', starts.map((_, i) => i))!, steps = opset >= 10 && xs[4] ? xs[4].v : starts.map(() => 1);
    return [slice(xs[0]!, starts, ends, axes, steps)];
  },
  Transpose: (n, [x]) => [transpose(x!, n.attrInts('perm', x!.shape.map((_, i) => x!.shape.length - 1 - i)))],
  ConstantOfShape: (n, [s]) => {
    const t = n.attrTensor('value'); const val = t ? toNumbers(t)[0] : 0;
    return [{ dtype: t?.dtype ?? 'float32', shape: s!.v, v: new Array(numel(s!.v)).fill(val) }];
  },
  Range: (n, [s, l, d]) => {
    const count = Math.max(0, Math.ceil((l!.v[0] - s!.v[0]) / d!.v[0]));
    return [{ dtype: s!.dtype, shape: [count], v: Array.from({ length: count }, (_, i) => s!.v[0] + i * d!.v[0]) }];
  },
  ScatterND: (n, [d, i, u]) => [scatterND(n, d!, i!, u!)],
  Resize: (n, [x]) => [{ dtype: x!.dtype, shape: n.outputs[0].dims, v: resizeValues(n, x!.v, x!.shape, n.outputs[0].dims) }],
  ReduceProd: (n, [x], opset) => [reduce(n, x!, opset, (a, b) => a * b, 1)],
  ReduceSum: (n, [x], opset) => [reduce(n, x!, opset, (a, b) => a + b, 0)],
};

/** A Reduce* over the node's axes (any subset; keepdims only changes the output shape, taken from inference). */
function reduce(n: Node, x: NT, opset: number, f: (a: number, b: number) => number, init: number): NT {
  const set = reducedAxes(n, x.shape.length, opset), shape = n.outputs[0].dims;
  if (set.size === 0) return { ...x, shape };
  const kept = x.shape.map((d, i) => (set.has(i) ? 1 : d)), kstr = strides(kept), istr = strides(x.shape);
  const v = new Array<number>(numel(kept)).fill(init);
  for (let i = 0; i < x.v.length; i++) {
    let o = 0;
    for (let a = 0; a < x.shape.length; a++) if (!set.has(a)) o += (Math.floor(i / istr[a]) % x.shape[a]) * kstr[a];
    v[o] = f(v[o], x.v[i]);
  }
  return { dtype: x.dtype, shape, v };
}

export const FOLDABLE = new Set(Object.keys(KERNELS));

/** Evaluates node `n` on constant inputs. Output shapes must already be inferred. */
export function evaluateNode(n: Node, opset: number): Tensor[] {
  const k = KERNELS[n.opType];
  if (!k) throw new Error(`cannot fold ${n.opType}`);
  if (n.opType === 'Shape') {
    const shp = n.input(0).dims;
    const r = shp.length;
    const s = opset >= 15 ? Math.max(0, normAxis(n.attrInt('start', 0), r)) : 0;
    const e = opset >= 15 ? Math.min(r, Math.max(0, normAxis(n.attrInt('end', r), r))) : r;
    return [fromNumbers('int64', [Math.max(0, e - s)], shp.slice(s, e))];
  }
  const xs = n.inputs.map((v) => (v?.constant ? nt(v.constant) : null));
  const outs = k(n, xs, opset);
  return outs.map((o, i) => {
    const dtype = n.outputs[i].dtype ?? o.dtype;
    return fromNumbers(dtype, o.shape, o.v.map((a) => castTo(dtype, a)));
  });
}
