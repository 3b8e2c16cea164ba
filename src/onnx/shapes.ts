// Static shape and dtype inference, one rule per ONNX op type. `inferNode` fills in the outputs of one node
// from its inputs (shapes, and constant data where an op's shape depends on it, e.g. Reshape's target).
import type { Dim, Node, Value } from './ir.ts';
import { resizeShape } from './resize.ts';
import { dtypeFromOnnx, numel, toNumbers, type DType } from './tensor.ts';

export interface OutInfo { dtype: DType | undefined; shape: Dim[] | undefined }
type ShapeRule = (n: Node, opset: number) => OutInfo[];

const fail = (n: Node, msg: string): never => { throw new Error(`${n.opType} '${n.name}': ${msg}`); };
const shapeOf = (n: Node, i: number): Dim[] => {
  const v = n.input(i);
  if (!v.shape) fail(n, `shape of input ${i} ('${v.name}') is unknown`);
  return v.shape as Dim[];
};
const dtypeOf = (n: Node, i: number): DType | undefined => n.input(i).dtype;
/** Constant integer contents of an input, or undefined if it is not a known constant. */
export const constInts = (v: Value | null | undefined): number[] | undefined => (v?.constant ? toNumbers(v.constant) : undefined);
const needInts = (n: Node, i: number, what: string): number[] => {
  const c = constInts(n.inputs[i]);
  if (!c) fail(n, `${what} (input ${i}) must be a constant for static shapes`);
  return c as number[];
};
export const normAxis = (a: number, rank: number): number => (a < 0 ? a + rank : a);
const same = (n: Node): OutInfo[] => [{ dtype: dtypeOf(n, 0), shape: n.input(0).shape }];

export function broadcastShapes(...shapes: Dim[][]): Dim[] {
  const rank = Math.max(...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const x = s[s.length - rank + i] ?? 1;
      if (x === 1) continue;
      if (d === 1) d = x;
      else if (typeof d === 'number' && typeof x === 'number' && d !== x) throw new Error(`cannot broadcast shapes ${shapes.map((s) => `[${s}]`).join(' and ')}`);
      else if (typeof d !== 'number') d = x;
    }
    out.push(d);
  }
  return out;
}

const elementwise = (outType?: DType): ShapeRule => (n) => [{
  dtype: outType ?? dtypeOf(n, 0),
  shape: broadcastShapes(...n.inputs.filter((v): v is Value => !!v).map((v, i) => v.shape ?? fail(n, `shape of input ${i} is unknown`))),
}];

function convLike(n: Node, x: Dim[], kernel: number[], ceil: boolean): Dim[] {
  const sp = x.length - 2;
  const strides = n.attrInts('strides', Array(sp).fill(1));
  const dil = n.attrInts('dilations', Array(sp).fill(1));
  const autoPad = n.attrString('auto_pad', 'NOTSET');
  const pads = n.attrInts('pads', Array(2 * sp).fill(0));
  const out: Dim[] = [];
  for (let i = 0; i < sp; i++) {
    const d = x[i + 2];
    if (typeof d !== 'number') { out.push(d); continue; }
    if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') { out.push(Math.ceil(d / strides[i])); continue; }
    const p = autoPad === 'VALID' ? 0 : pads[i] + pads[i + sp];
    const eff = dil[i] * (kernel[i] - 1) + 1;
    const r = (d + p - eff) / strides[i];
    let o = (ceil ? Math.ceil(r) : Math.floor(r)) + 1;
    // ceil mode: the last window must start inside the input or left padding
    if (ceil && (o - 1) * strides[i] >= d + pads[i]) o--;
    out.push(o);
  }
  return out;
}

/** The axes a Reduce* node reduces over an input of rank `rank` (empty: a no-op, noop_with_empty_axes). */
export function reducedAxes(n: Node, rank: number, opset: number): Set<number> {
  const axesFromInput = n.opType === 'ReduceSum' ? opset >= 13 : opset >= 18;
  let axes = axesFromInput ? (n.hasInput(1) ? needInts(n, 1, 'axes') : undefined) : (n.attrs.axes ? n.attrInts('axes') : undefined);
  if (!axes || axes.length === 0) {
    if (n.attrInt('noop_with_empty_axes', 0)) return new Set();
    axes = Array.from({ length: rank }, (_, i) => i);
  }
  return new Set(axes.map((a) => normAxis(a, rank)));
}

function reduceRule(n: Node, opset: number): OutInfo[] {
  const x = shapeOf(n, 0);
  const set = reducedAxes(n, x.length, opset);
  if (set.size === 0) return same(n);
  const keep = n.attrInt('keepdims', 1);
  const shape: Dim[] = [];
  x.forEach((d, i) => { if (!set.has(i)) shape.push(d); else if (keep) shape.push(1); });
  return [{ dtype: dtypeOf(n, 0), shape }];
}

function sliceDims(n: Node, x: Dim[], opset: number): Dim[] {
  const starts = opset >= 10 ? needInts(n, 1, 'starts') : n.attrInts('starts');
  const ends = opset >= 10 ? needInts(n, 2, 'ends') : n.attrInts('ends');
  const axes = opset >= 10 ? (n.hasInput(3) ? needInts(n, 3, 'axes') : starts.map((_, i) => i)) : n.attrInts('axes', starts.map((_, i) => i));
  const steps = opset >= 10 && n.hasInput(4) ? needInts(n, 4, 'steps') : starts.map(() => 1);
  const out = [...x];
  axes.forEach((a0, j) => {
    const a = normAxis(a0, x.length);
    const d = x[a];
    if (typeof d !== 'number') fail(n, `cannot slice symbolic dimension ${a}`);
    const r = sliceRange(d as number, starts[j], ends[j], steps[j]);
    out[a] = r.count;
  });
  return out;
}

/** ONNX Slice clamping semantics for one axis: first index and element count. */
export function sliceRange(d: number, start: number, end: number, step: number): { start: number; count: number } {
  if (step === 0) throw new Error('Slice step must not be 0');
  let s = start < 0 ? start + d : start;
  let e = end < 0 ? end + d : end;
  if (step > 0) { s = Math.min(Math.max(s, 0), d); e = Math.min(Math.max(e, 0), d); }
  else { s = Math.min(Math.max(s, -1), d - 1); e = Math.min(Math.max(e, -1), d - 1); }
  const count = Math.max(0, Math.ceil((e - s) / step));
  return { start: s, count };
}

function reshapeDims(n: Node, x: Dim[], target: number[]): Dim[] {
  const allowZero = n.attrInt('allowzero', 0);
  const out: Dim[] = target.map((t, i) => (t === 0 && !allowZero ? x[i] : t));
  const neg = out.indexOf(-1);
  if (neg >= 0) {
    const total = x.every((d) => typeof d === 'number') ? numel(x as number[]) : NaN;
    const known = numel(out.filter((d, i) => i !== neg) as number[]);
    if (Number.isNaN(total) || out.some((d) => typeof d !== 'number')) fail(n, 'cannot infer -1 with symbolic dimensions');
    if (total % known !== 0) fail(n, `cannot reshape [${x}] to [${target}]`);
    out[neg] = total / known;
  }
  return out;
}

/** The operand terms and output term of an Einsum node (spaces dropped; an implicit output is the labels used
 * once, sorted); an ellipsis is refused. */
export function einsumTerms(n: Node): { inputs: string[]; output: string } {
  const eq = n.attrString('equation').replace(/\s+/g, '');
  if (eq.includes('.')) fail(n, `equation '${eq}' has an ellipsis, which is not supported`);
  const [lhs, rhs] = eq.split('->');
  const inputs = lhs.split(',');
  if (inputs.length !== n.inputs.length) fail(n, `equation '${eq}' has ${inputs.length} operands for ${n.inputs.length} inputs`);
  const once = [...new Set(lhs.replace(/,/g, ''))].filter((l) => lhs.split(l).length === 2).sort();
  return { inputs, output: rhs ?? once.join('') };
}

function einsumShape(n: Node): Dim[] {
  const { inputs, output } = einsumTerms(n), size = new Map<string, Dim>();
  inputs.forEach((t, i) => {
    const x = shapeOf(n, i);
    if (x.length !== t.length) fail(n, `operand ${i} '${t}' has rank ${x.length}`);
    [...t].forEach((l, j) => {
      if (size.has(l) && size.get(l) !== x[j]) fail(n, `label '${l}' has sizes ${size.get(l)} and ${x[j]}`);
      size.set(l, x[j]);
    });
  });
  return [...output].map((l) => size.get(l) ?? fail(n, `output label '${l}' is in no operand`));
}

/** ScatterND: indices [..., k] address the first k axes of data; updates are indices' leading dims + data's
 * trailing r − k dims. The output is data's shape. */
function scatterNDCheck(n: Node, data: Dim[], idx: Dim[], upd: Dim[]): void {
  const k = idx[idx.length - 1];
  if (idx.length === 0 || typeof k !== 'number') fail(n, `indices [${idx}] need a static last dim`);
  if ((k as number) > data.length) fail(n, `indices address ${k} axes of a rank ${data.length} input`);
  const want = [...idx.slice(0, -1), ...data.slice(k as number)];
  if (upd.length !== want.length || upd.some((d, i) => typeof d === 'number' && typeof want[i] === 'number' && d !== want[i])) {
    fail(n, `updates [${upd}] do not match indices [${idx}] and data [${data}] ([${want}] expected)`);
  }
}

/** The output shape of DepthToSpace (`up`) or SpaceToDepth on an NCHW input. */
function blockShape(n: Node, up: boolean): Dim[] {
  const x = shapeOf(n, 0), k = n.attrInt('blocksize');
  if (x.length !== 4) fail(n, `rank ${x.length} input, rank 4 (NCHW) expected`);
  const [c, h, w] = x.slice(1) as number[];
  if ([c, h, w].some((d) => typeof d !== 'number')) fail(n, `channels and spatial dimensions must be static: [${x}]`);
  const out = up ? [c / (k * k), h * k, w * k] : [c * k * k, h / k, w / k];
  if (out.some((d) => !Number.isInteger(d))) fail(n, `blocksize ${k} does not divide [${x}]`);
  return [x[0], ...out];
}

const RULES: Record<string, ShapeRule> = {
  Identity: same, Relu: same, Sigmoid: same, Tanh: same, Erf: same, Sqrt: same, Exp: same, Log: same, Neg: same,
  Abs: same, Reciprocal: same, Floor: same, Ceil: same, Softplus: same, LeakyRelu: same, Elu: same, Selu: same,
  HardSigmoid: same, HardSwish: same, Gelu: same, Softmax: same, LogSoftmax: same, CumSum: same, Sin: same, Cos: same,
  Sign: same, Round: same, Hardmax: same, Mish: same, Celu: same, ThresholdedRelu: same, Trilu: same, Clip: same,
  Not: (n) => [{ dtype: 'bool', shape: n.input(0).shape }],
  IsNaN: (n) => [{ dtype: 'bool', shape: n.input(0).shape }],
  Dropout: (n) => [...same(n), { dtype: 'bool', shape: n.input(0).shape }],
  Add: elementwise(), Sub: elementwise(), Mul: elementwise(), Div: elementwise(), Pow: elementwise(), Mod: elementwise(),
  PRelu: elementwise(), Max: elementwise(), Min: elementwise(), Sum: elementwise(), Mean: elementwise(),
  Equal: elementwise('bool'), Less: elementwise('bool'), Greater: elementwise('bool'), LessOrEqual: elementwise('bool'),
  GreaterOrEqual: elementwise('bool'), And: elementwise('bool'), Or: elementwise('bool'), Xor: elementwise('bool'),
  Where: (n) => [{ dtype: dtypeOf(n, 1), shape: broadcastShapes(shapeOf(n, 0), shapeOf(n, 1), shapeOf(n, 2)) }],
  Cast: (n) => [{ dtype: dtypeFromOnnx(n.attrInt('to')), shape: n.input(0).shape }],
  CastLike: (n) => [{ dtype: dtypeOf(n, 1), shape: n.input(0).shape }],
  Constant: (n) => {
    const t = n.attrTensor('value');
    if (t) return [{ dtype: t.dtype, shape: t.shape }];
    if (n.attrs.value_float) return [{ dtype: 'float32', shape: [] }];
    if (n.attrs.value_int) return [{ dtype: 'int64', shape: [] }];
    const vf = n.attrs.value_floats;
    if (vf?.type === 'floats') return [{ dtype: 'float32', shape: [vf.value.length] }];
    if (n.attrs.value_ints) return [{ dtype: 'int64', shape: [n.attrInts('value_ints').length] }];
    return fail(n, 'unsupported Constant attribute');
  },
  Shape: (n, opset) => {
    const r = shapeOf(n, 0).length;
    const s = opset >= 15 ? normAxis(Math.min(n.attrInt('start', 0), r), r) : 0;
    const e0 = opset >= 15 ? n.attrInt('end', r) : r;
    const e = Math.min(Math.max(normAxis(e0, r), 0), r);
    return [{ dtype: 'int64', shape: [Math.max(0, e - Math.max(0, s))] }];
  },
  Size: () => [{ dtype: 'int64', shape: [] }],
  ConstantOfShape: (n) => [{ dtype: n.attrTensor('value')?.dtype ?? 'float32', shape: needInts(n, 0, 'shape') }],
  Range: (n) => {
    const [s, l, d] = [0, 1, 2].map((i) => needInts(n, i, 'range bound')[0]);
    return [{ dtype: dtypeOf(n, 0), shape: [Math.max(0, Math.ceil((l - s) / d))] }];
  },
  MatMul: (n) => {
    const a = shapeOf(n, 0), b = shapeOf(n, 1);
    if (a.length === 0 || b.length === 0) fail(n, 'MatMul of a scalar');
    const a2 = a.length === 1 ? [1, a[0]] : a, b2 = b.length === 1 ? [b[0], 1] : b;
    const batch = broadcastShapes(a2.slice(0, -2), b2.slice(0, -2));
    const ka = a2[a2.length - 1], kb = b2[b2.length - 2];
    if (typeof ka === 'number' && typeof kb === 'number' && ka !== kb) fail(n, `inner dimensions differ: [${a}] x [${b}]`);
    const out = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
    if (a.length === 1) out.splice(out.length - 2, 1);
    if (b.length === 1) out.splice(out.length - 1, 1);
    return [{ dtype: dtypeOf(n, 0), shape: out }];
  },
  Gemm: (n) => {
    const a = shapeOf(n, 0), b = shapeOf(n, 1);
    const m = n.attrInt('transA', 0) ? a[1] : a[0];
    const nn = n.attrInt('transB', 0) ? b[0] : b[1];
    return [{ dtype: dtypeOf(n, 0), shape: [m, nn] }];
  },
  Conv: (n) => {
    const x = shapeOf(n, 0), w = shapeOf(n, 1);
    const k = n.attrInts('kernel_shape', (w.slice(2) as number[]));
    return [{ dtype: dtypeOf(n, 0), shape: [x[0], w[0], ...convLike(n, x, k, false)] }];
  },
  ConvTranspose: (n) => {
    const x = shapeOf(n, 0), w = shapeOf(n, 1) as number[];
    const sp = x.length - 2, group = n.attrInt('group', 1);
    const k = n.attrInts('kernel_shape', w.slice(2));
    const strides = n.attrInts('strides', Array(sp).fill(1)), dil = n.attrInts('dilations', Array(sp).fill(1));
    const pads = n.attrInts('pads', Array(2 * sp).fill(0)), op = n.attrInts('output_padding', Array(sp).fill(0));
    const given = n.attrs.output_shape ? n.attrInts('output_shape') : undefined;
    const autoPad = n.attrString('auto_pad', 'NOTSET');
    const same = autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER' ? x.slice(2).map((d, i) => (d as number) * strides[i]) : undefined;
    const spatial = given ?? same ?? k.map((kk, i) => strides[i] * ((x[i + 2] as number) - 1) + op[i] + (kk - 1) * dil[i] + 1 - pads[i] - pads[i + sp]);
    return [{ dtype: dtypeOf(n, 0), shape: [x[0], w[1] * group, ...spatial] }];
  },
  MaxPool: (n) => {
    const x = shapeOf(n, 0);
    const out = [x[0], x[1], ...convLike(n, x, n.attrInts('kernel_shape'), n.attrInt('ceil_mode', 0) === 1)];
    return [{ dtype: dtypeOf(n, 0), shape: out }, { dtype: 'int64', shape: out }];
  },
  AveragePool: (n) => {
    const x = shapeOf(n, 0);
    return [{ dtype: dtypeOf(n, 0), shape: [x[0], x[1], ...convLike(n, x, n.attrInts('kernel_shape'), n.attrInt('ceil_mode', 0) === 1)] }];
  },
  GlobalAveragePool: (n) => { const x = shapeOf(n, 0); return [{ dtype: dtypeOf(n, 0), shape: [x[0], x[1], ...x.slice(2).map(() => 1)] }]; },
  GlobalMaxPool: (n) => { const x = shapeOf(n, 0); return [{ dtype: dtypeOf(n, 0), shape: [x[0], x[1], ...x.slice(2).map(() => 1)] }]; },
  BatchNormalization: (n) => same(n),
  InstanceNormalization: same, GroupNormalization: same,
  DepthToSpace: (n) => [{ dtype: dtypeOf(n, 0), shape: blockShape(n, true) }],
  SpaceToDepth: (n) => [{ dtype: dtypeOf(n, 0), shape: blockShape(n, false) }],
  Einsum: (n) => [{ dtype: dtypeOf(n, 0), shape: einsumShape(n) }],
  LayerNormalization: (n) => {
    const x = shapeOf(n, 0);
    const axis = normAxis(n.attrInt('axis', -1), x.length);
    const stat = x.map((d, i) => (i < axis ? d : 1));
    return [{ dtype: dtypeOf(n, 0), shape: x }, { dtype: 'float32', shape: stat }, { dtype: 'float32', shape: stat }];
  },
  Flatten: (n) => {
    const x = shapeOf(n, 0) as number[];
    const axis = normAxis(n.attrInt('axis', 1), x.length);
    return [{ dtype: dtypeOf(n, 0), shape: [numel(x.slice(0, axis)), numel(x.slice(axis))] }];
  },
  Reshape: (n) => [{ dtype: dtypeOf(n, 0), shape: reshapeDims(n, shapeOf(n, 0), needInts(n, 1, 'shape')) }],
  Transpose: (n) => {
    const x = shapeOf(n, 0);
    const perm = n.attrInts('perm', x.map((_, i) => x.length - 1 - i));
    return [{ dtype: dtypeOf(n, 0), shape: perm.map((p) => x[p]) }];
  },
  Squeeze: (n, opset) => {
    const x = shapeOf(n, 0);
    const axes = opset >= 13 ? (n.hasInput(1) ? needInts(n, 1, 'axes') : undefined) : (n.attrs.axes ? n.attrInts('axes') : undefined);
    const set = new Set((axes ?? x.flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normAxis(a, x.length)));
    return [{ dtype: dtypeOf(n, 0), shape: x.filter((_, i) => !set.has(i)) }];
  },
  Unsqueeze: (n, opset) => {
    const x = shapeOf(n, 0);
    const axes = opset >= 13 ? needInts(n, 1, 'axes') : n.attrInts('axes');
    const r = x.length + axes.length;
    const set = new Set(axes.map((a) => normAxis(a, r)));
    const out: Dim[] = [];
    let j = 0;
    for (let i = 0; i < r; i++) out.push(set.has(i) ? 1 : x[j++]);
    return [{ dtype: dtypeOf(n, 0), shape: out }];
  },
  Concat: (n) => {
    const shapes = n.inputs.map((v, i) => (v ? shapeOf(n, i) : null)).filter((s): s is Dim[] => !!s);
    const axis = normAxis(n.attrInt('axis'), shapes[0].length);
    const out = [...shapes[0]];
    out[axis] = shapes.reduce((s, sh) => (typeof s === 'number' && typeof sh[axis] === 'number' ? s + (sh[axis] as number) : `?`), 0 as Dim);
    return [{ dtype: dtypeOf(n, 0), shape: out }];
  },
  Split: (n, opset) => {
    const x = shapeOf(n, 0);
    const axis = normAxis(n.attrInt('axis', 0), x.length);
    let split = opset >= 13 ? (n.hasInput(1) ? needInts(n, 1, 'split') : undefined) : (n.attrs.split ? n.attrInts('split') : undefined);
    if (!split) {
      const k = n.outputs.length, d = x[axis] as number;
      const chunk = Math.ceil(d / k);
      split = Array.from({ length: k }, (_, i) => Math.min(chunk, d - chunk * i));
    }
    return split.map((s) => { const sh = [...x]; sh[axis] = s; return { dtype: dtypeOf(n, 0), shape: sh }; });
  },
  Slice: (n, opset) => [{ dtype: dtypeOf(n, 0), shape: sliceDims(n, shapeOf(n, 0), opset) }],
  Gather: (n) => {
    const x = shapeOf(n, 0), idx = shapeOf(n, 1);
    const axis = normAxis(n.attrInt('axis', 0), x.length);
    return [{ dtype: dtypeOf(n, 0), shape: [...x.slice(0, axis), ...idx, ...x.slice(axis + 1)] }];
  },
  GatherElements: (n) => [{ dtype: dtypeOf(n, 0), shape: shapeOf(n, 1) }],
  ScatterND: (n) => { scatterNDCheck(n, shapeOf(n, 0), shapeOf(n, 1), shapeOf(n, 2)); return same(n); },
  Expand: (n) => [{ dtype: dtypeOf(n, 0), shape: broadcastShapes(shapeOf(n, 0), needInts(n, 1, 'shape')) }],
  Resize: (n, opset) => [{ dtype: dtypeOf(n, 0), shape: resizeShape(n, shapeOf(n, 0), opset) }],
  Tile: (n) => { const r = needInts(n, 1, 'repeats'); return [{ dtype: dtypeOf(n, 0), shape: shapeOf(n, 0).map((d, i) => (typeof d === 'number' ? d * r[i] : d)) }]; },
  Pad: (n, opset) => {
    const x = shapeOf(n, 0);
    let pads = opset >= 11 ? needInts(n, 1, 'pads') : n.attrInts('pads');
    if (opset >= 18 && n.hasInput(3)) {
      const axes = needInts(n, 3, 'axes').map((a) => normAxis(a, x.length)); const full = Array(2 * x.length).fill(0);
      axes.forEach((a, j) => { full[a] = pads[j]; full[a + x.length] = pads[j + axes.length]; }); pads = full;
    }
    return [{ dtype: dtypeOf(n, 0), shape: x.map((d, i) => (typeof d === 'number' ? d + pads[i] + pads[i + x.length] : d)) }];
  },
  ReduceSum: reduceRule, ReduceMean: reduceRule, ReduceMax: reduceRule, ReduceMin: reduceRule, ReduceProd: reduceRule,
  ReduceLogSumExp: reduceRule, ReduceSumSquare: reduceRule, ReduceL2: reduceRule, ReduceL1: reduceRule,
  ArgMax: (n) => { const x = shapeOf(n, 0); const a = normAxis(n.attrInt('axis', 0), x.length); const k = n.attrInt('keepdims', 1);
    return [{ dtype: 'int64', shape: x.flatMap((d, i) => (i === a ? (k ? [1] : []) : [d])) }]; },
};
RULES.ArgMin = RULES.ArgMax;

export function hasShapeRule(opType: string): boolean {
  return opType in RULES;
}

/** Infers and stores dtype/shape of every output of `n`. Throws naming the op when it has no rule. */
export function inferNode(n: Node, opset: number): void {
  const rule = n.domain === '' || n.domain === 'ai.onnx' ? RULES[n.opType] : undefined;
  if (!rule) throw new Error(`unsupported op ${n.domain ? n.domain + '.' : ''}${n.opType} (node '${n.name}'): no shape rule`);
  const infos = rule(n, opset);
  n.outputs.forEach((o, i) => {
    const info = infos[i];
    if (!info) return;
    if (info.dtype) o.dtype = info.dtype;
    if (info.shape) o.shape = info.shape;
  });
}
