// Pass: re-specialise a statically shaped graph after one axis of one value changed length (old S0 → new S1),
// e.g. VPT's token insertion 1+T → 1+p+T. Exporters bake the sequence length into constants downstream
// (torchvision's Reshape to [17,4,16] and [34,32] = 17·N, HF's [N,17,heads,hd]); this pass rewrites them.
// Every dim downstream is tracked as a factor list (outer → inner, constants and the symbol S), so a merged
// dim remembers where S sits in it: Reshape matches the flattened factors of each group of dims (grouped by
// equal cumulative products of the old shapes) against the old output dims, and S lands in exactly one output
// dim (a dim whose boundary would cut S is refused). Shape-carrying constants (Reshape targets, Slice
// starts/ends, Expand shapes) are replaced by NEW initializers; shared initializers are never mutated.
// When the caller says where the new positions sit (`insertAt`: VPT's prompts after the prefix), an additive
// float constant that carries the whole axis at its old length (BEiT's relative-position bias [1,heads,S,S] added
// to the scores) is padded with zeros for them, as VPT's code pads the bias: the new tokens get no bias.
// Invariants after: toposorted, every node re-inferred, each re-specialised value has its predicted shape
// (its old dims with S0 → S1), everything else keeps its shape, `assertValid` holds. An op on the path that
// cannot be re-specialised throws one line naming the node, before anything was changed. Returns whether any
// node was changed.
import { assertValid } from '../checker.ts';
import type { Dim, Graph, Node, Value } from '../ir.ts';
import { constInts, inferNode, normAxis, sliceRange } from '../shapes.ts';
import { fromNumbers, isFloat, numel, toNumbers, type Tensor } from '../tensor.ts';
import { toposort } from './toposort.ts';

export interface ResizeOptions {
  /** Where the new positions sit on the axis (they are inserted at this index); enables zero-padding additive
   * constants that carry the axis. Undefined (re-batching): such a constant is refused. */
  insertAt?: number;
}

/** One dim as its factors, outer to inner: constants > 1 and the symbol 'S'; [] is a dim of size 1. */
type Factors = (number | 'S')[];
type Layout = Factors[];

const UNARY = new Set(['Identity', 'Relu', 'Sigmoid', 'Tanh', 'Erf', 'Sqrt', 'Exp', 'Log', 'Neg', 'Abs', 'Reciprocal',
  'Floor', 'Ceil', 'Softplus', 'LeakyRelu', 'Elu', 'Selu', 'HardSigmoid', 'HardSwish', 'Gelu', 'Softmax', 'LogSoftmax',
  'Sin', 'Cos', 'Sign', 'Round', 'Mish', 'Celu', 'Clip', 'Cast', 'CastLike', 'Not', 'IsNaN', 'Dropout', 'CumSum']);
const ELEMENTWISE = new Set(['Add', 'Sub', 'Mul', 'Div', 'Pow', 'Mod', 'PRelu', 'Max', 'Min', 'Sum', 'Mean', 'Equal',
  'Less', 'Greater', 'LessOrEqual', 'GreaterOrEqual', 'And', 'Or', 'Xor', 'Where']);
const REDUCE = new Set(['ReduceSum', 'ReduceMean', 'ReduceMax', 'ReduceMin', 'ReduceProd', 'ReduceLogSumExp',
  'ReduceSumSquare', 'ReduceL1', 'ReduceL2']);

const hasS = (f: Factors) => f.includes('S');
const eq = (a: Factors, b: Factors) => a.length === b.length && a.every((x, i) => x === b[i]);
const evalF = (f: Factors, s: number) => f.reduce<number>((p, x) => p * (x === 'S' ? s : x), 1);
const constF = (d: number): Factors => (d === 1 ? [] : [d]);

/** Merges adjacent constants (S stays a factor of its own). */
function norm(f: Factors): Factors {
  const out: Factors = [];
  for (const x of f) {
    if (x === 1) continue;
    const last = out[out.length - 1];
    if (x !== 'S' && typeof last === 'number') out[out.length - 1] = last * x; else out.push(x);
  }
  return out;
}

/**
 * `at` has already been rebuilt by the caller so that `at.shape[axis] === newLen`; its users were specialised for
 * `oldLen`. Propagates the change through every value downstream of `at`, rewrites the constants that carry it,
 * re-infers all shapes and checks the graph.
 */
export function resizeAxis(g: Graph, at: Value, axis: number, newLen: number, oldLen: number, opts: ResizeOptions = {}): boolean {
  const dims0 = at.dims;
  const ax = normAxis(axis, dims0.length);
  if (dims0[ax] !== newLen) throw new Error(`resizeAxis: '${at.name}' has length ${dims0[ax]} on axis ${ax}, ${newLen} expected`);
  if (oldLen < 1 || newLen < 1) throw new Error(`resizeAxis: cannot re-specialise a length ${oldLen} axis to ${newLen}`);
  if (newLen === oldLen) return false;
  const S0 = oldLen, S1 = newLen;
  const order = [...g.nodes];
  toposort(g);
  const lay = new Map<Value, Layout>([[at, dims0.map((d, i) => (i === ax ? ['S'] : constF(d)))]]);
  const L = (v: Value): Layout => lay.get(v) ?? v.dims.map(constF);
  const oldDims = (v: Value): number[] => L(v).map((f) => evalF(f, S0));
  const touched: Node[] = [];
  const pending: (() => void)[] = []; // constant rewrites, applied once the whole walk has succeeded
  try {
    for (const n of g.nodes) {
      if (!n.inputs.some((v) => v && lay.has(v))) continue;
      const fail = (msg: string): never => { throw new Error(`resizeAxis: cannot re-specialise ${n.opType} '${n.name}': ${msg}`); };
      if (n.domain !== '' && n.domain !== 'ai.onnx') fail('custom domain');
      const outs = propagate(g, n, L, oldDims, S0, S1, fail, pending, opts);
      touched.push(n);
      n.outputs.forEach((o, i) => { const l = outs[i]; if (l && l.some(hasS)) lay.set(o, l.map(norm)); });
    }
  } catch (e) {
    g.nodes = order;
    throw e;
  }
  for (const apply of pending) apply();
  for (const n of touched) {
    const before = n.outputs.map((o) => o.shape);
    inferNode(n, g.opset);
    for (const [k, o] of n.outputs.entries()) {
      const want = lay.has(o) ? lay.get(o)!.map((f) => evalF(f, S1)) : before[k];
      if (want && (o.shape?.length !== want.length || o.shape.some((d: Dim, i) => d !== want[i]))) {
        throw new Error(`resizeAxis: ${n.opType} '${n.name}' infers [${o.shape}] for '${o.name}', [${want}] expected`);
      }
    }
  }
  g.pruneValues();
  assertValid(g);
  return touched.length > 0;
}

/**
 * An additive float constant operand of `n` (Add, Sub) whose dim is the old length S0 where another operand's dim
 * is exactly the axis (not merged with other factors) gets S1 − S0 zeros inserted at `at` on each such dim (a
 * NEW initializer); its layout in `lays` then carries the axis there.
 */
function padAdditive(g: Graph, n: Node, ins: Value[], lays: Layout[], S0: number, S1: number, at: number, pending: (() => void)[]): void {
  if (S0 === 1) return;
  const r = Math.max(...lays.map((l) => l.length));
  ins.forEach((v, k) => {
    const t = v.constant;
    if (!t || !isFloat(t.dtype) || lays[k].some(hasS)) return;
    const off = r - t.shape.length;
    const axes = t.shape.flatMap((d, j) => (d === S0 && lays.some((l, o) => o !== k && eq(l[j + off - (r - l.length)] ?? [], ['S'])) ? [j] : []));
    if (axes.length === 0) return;
    lays[k] = t.shape.map((d, j) => (axes.includes(j) ? ['S'] : constF(d)));
    pending.push(() => g.setInput(n, n.inputs.indexOf(v), g.addInitializer(`${v.name}_padded`, padZeros(t, axes, at, S1 - S0))));
  });
}

/** `t` with `count` zeros inserted at index `at` of each of `axes`. */
function padZeros(t: Tensor, axes: number[], at: number, count: number): Tensor {
  const shape = t.shape.map((d, j) => (axes.includes(j) ? d + count : d)), src = toNumbers(t);
  const out = new Array<number>(numel(shape)).fill(0), r = shape.length;
  for (let i = 0; i < src.length; i++) {
    let rem = i, o = 0, mul = 1;
    for (let j = r - 1; j >= 0; j--) {
      const c = rem % t.shape[j]; rem = Math.floor(rem / t.shape[j]);
      o += (axes.includes(j) && c >= at ? c + count : c) * mul; mul *= shape[j];
    }
    out[o] = src[i];
  }
  return fromNumbers(t.dtype, shape, out);
}

/** Broadcasts layouts right-aligned; S must meet S (or 1), never a fixed length. */
function broadcast(ls: Layout[], olds: number[][], fail: (m: string) => never): Layout {
  const r = Math.max(...ls.map((l) => l.length));
  const out: Layout = [];
  for (let i = 0; i < r; i++) {
    let cur: Factors | undefined;
    ls.forEach((l, k) => {
      const j = i - (r - l.length);
      if (j < 0 || (olds[k][j] === 1 && !hasS(l[j]))) return;
      const f = l[j];
      if (!cur) cur = f;
      else if (!eq(cur, f)) fail(`axis ${i} mixes [${cur}] with [${f}] (an operand has the old length baked in)`);
    });
    out.push(cur ?? []);
  }
  return out;
}

function propagate(g: Graph, n: Node, L: (v: Value) => Layout, oldDims: (v: Value) => number[], S0: number, S1: number,
  fail: (m: string) => never, pending: (() => void)[], opts: ResizeOptions): (Layout | undefined)[] {
  const op = n.opType, x = n.inputs[0] ? L(n.input(0)) : [];
  const ints = (i: number, what: string): number[] => constInts(n.inputs[i]) ?? fail(`${what} (input ${i}) is not a constant`);
  const rewrite = (i: number, values: number[]) => {
    const old = n.input(i), dtype = old.dtype === 'int32' ? 'int32' : 'int64';
    // Number(INT64_MAX) is 2^63, which fromNumbers would wrap to INT64_MIN: clamp (Slice bounds clamp anyway)
    const lim = dtype === 'int32' ? 2 ** 31 - 1 : 2 ** 62;
    const t = fromNumbers(dtype, [values.length], values.map((v) => Math.max(-lim, Math.min(lim, v))));
    pending.push(() => g.setInput(n, i, g.addInitializer(`${old.name}_resized`, t)));
  };
  if (UNARY.has(op)) return n.outputs.map(() => x);
  if (ELEMENTWISE.has(op)) {
    const ins = n.inputs.filter((v): v is Value => !!v), lays = ins.map(L);
    if (opts.insertAt !== undefined && (op === 'Add' || op === 'Sub')) padAdditive(g, n, ins, lays, S0, S1, opts.insertAt, pending);
    return [broadcast(lays, ins.map(oldDims), fail)];
  }
  switch (op) {
    case 'LayerNormalization': {
      const a = normAxis(n.attrInt('axis', -1), x.length);
      return [x, ...n.outputs.slice(1).map(() => x.map((f, i) => (i < a ? f : [])))];
    }
    case 'Transpose': return [n.attrInts('perm', x.map((_, i) => x.length - 1 - i)).map((p) => x[p])];
    case 'MatMul': case 'Gemm': {
      let a = x, b = L(n.input(1));
      if (op === 'Gemm') { if (n.attrInt('transA', 0)) a = [a[1], a[0]]; if (n.attrInt('transB', 0)) b = [b[1], b[0]]; }
      const a2 = a.length === 1 ? [[], a[0]] : a, b2 = b.length === 1 ? [b[0], []] : b;
      if (!eq(a2[a2.length - 1], b2[b2.length - 2])) fail('contracted dims differ in their re-specialised factors');
      const ob = (l: Layout) => l.slice(0, -2).map((f) => evalF(f, S0));
      const batch = broadcast([a2.slice(0, -2), b2.slice(0, -2)], [ob(a2), ob(b2)], fail);
      let out = [...batch, a2[a2.length - 2], b2[b2.length - 1]];
      if (a.length === 1) out.splice(out.length - 2, 1);
      if (b.length === 1) out.splice(out.length - 1, 1);
      if (op === 'Gemm' && n.inputs[2]) out = broadcast([out, L(n.input(2))], [out.map((f) => evalF(f, S0)), oldDims(n.input(2))], fail);
      return [out];
    }
    case 'Reshape': {
      const out = reshapeLayout(x, oldDims(n.input(0)), n.outputs[0].dims, S0, fail);
      rewrite(1, out.map((f) => evalF(f, S1)));
      return [out];
    }
    case 'Flatten': {
      const a = normAxis(n.attrInt('axis', 1), x.length);
      return [[x.slice(0, a).flat(), x.slice(a).flat()]];
    }
    case 'Squeeze': case 'Unsqueeze': {
      const fromInput = g.opset >= 13;
      const axes = fromInput ? (n.inputs[1] ? ints(1, 'axes') : undefined) : (n.attrs.axes ? n.attrInts('axes') : undefined);
      if (op === 'Squeeze') {
        const set = new Set((axes ?? oldDims(n.input(0)).flatMap((d, i) => (d === 1 ? [i] : []))).map((a) => normAxis(a, x.length)));
        if ([...set].some((a) => hasS(x[a]))) fail('squeezes the re-specialised axis');
        return [x.filter((_, i) => !set.has(i))];
      }
      const r = x.length + axes!.length, set = new Set(axes!.map((a) => normAxis(a, r)));
      let j = 0;
      return [Array.from({ length: r }, (_, i) => (set.has(i) ? [] : x[j++]))];
    }
    case 'Concat': {
      const a = normAxis(n.attrInt('axis'), x.length);
      const ins = n.inputs.filter((v): v is Value => !!v).map(L);
      if (ins.some((l) => hasS(l[a]))) fail('concatenates along the re-specialised axis');
      const rest = (l: Layout) => l.filter((_, i) => i !== a);
      const base = ins.find((l) => rest(l).some(hasS))!;
      if (S0 === 1) {
        // an operand with the batch of 1 baked in (e.g. a class token folded to [1,1,D]): expand it to the new batch
        n.inputs.forEach((v, k) => {
          if (!v || L(v).some(hasS)) return;
          const lv = L(v), want = base.map((f, i) => (i === a ? lv[i] : f));
          if (!lv.every((f, i) => i === a || eq(f, want[i]) || (f.length === 0 && eq(want[i], ['S'])))) return;
          ins[k] = want;
          pending.push(() => {
            const shape = g.addInitializer(`${v.name}_batch`, fromNumbers('int64', [want.length], want.map((f, i) => (i === a ? v.dims[i] : evalF(f, S1)))));
            const out = g.newValue(`${v.name}_expanded`);
            const e = g.addNode('Expand', [v, shape], [out], {}, { at: g.nodes.indexOf(n) });
            inferNode(e, g.opset);
            g.setInput(n, k, out);
          });
        });
      }
      if (ins.some((l) => !rest(l).every((f, i) => eq(f, rest(base)[i])))) fail('an operand has the old length baked in');
      const out = [...base];
      out[a] = constF(ins.reduce((s, l) => s + evalF(l[a], S0), 0));
      return [out];
    }
    case 'Split': {
      const a = normAxis(n.attrInt('axis', 0), x.length);
      if (hasS(x[a])) fail('splits the re-specialised axis');
      return n.outputs.map((o) => x.map((f, i) => (i === a ? constF(o.dims[a]) : f)));
    }
    case 'Gather': {
      const a = normAxis(n.attrInt('axis', 0), x.length);
      if (hasS(x[a]) && !n.input(1).constant) fail('gathers along the re-specialised axis with computed indices');
      return [[...x.slice(0, a), ...L(n.input(1)), ...x.slice(a + 1)]];
    }
    case 'Slice': return [sliceLayout(g, n, x, oldDims(n.input(0)), S0, S1, ints, rewrite, fail, pending)];
    case 'Expand': {
      const t = ints(1, 'shape'), old = oldDims(n.input(0)), r = Math.max(x.length, t.length);
      const out: Layout = [], nt = [...t];
      for (let i = 0; i < r; i++) {
        const j = i - (r - x.length), k = i - (r - t.length);
        const f = j >= 0 ? x[j] : [], d = j >= 0 ? old[j] : 1, ti = k >= 0 ? t[k] : 1;
        if (hasS(f)) { if (ti !== 1 && ti !== d) fail(`expands the re-specialised axis to ${ti}`); if (k >= 0) nt[k] = 1; out.push(f); }
        else out.push(d === 1 ? constF(ti) : f);
      }
      if (nt.some((v, i) => v !== t[i])) rewrite(1, nt);
      return [out];
    }
    case 'Conv': case 'ConvTranspose': case 'MaxPool': case 'AveragePool': case 'GlobalAveragePool': case 'GlobalMaxPool':
    case 'BatchNormalization': case 'InstanceNormalization': case 'LRN': case 'Pad': case 'Resize': {
      // ops that map the batch axis through (channels and space are theirs): S may only sit in axis 0
      if (x.slice(1).some(hasS)) fail('the re-specialised axis is not the batch axis of this op');
      if (op === 'Pad' && n.inputs[1]) { const p = ints(1, 'pads'); if (p[0] !== 0 || p[p.length / 2] !== 0) fail('pads the batch axis'); }
      return n.outputs.map((o, i) => (i === 0 ? [x[0], ...o.dims.slice(1).map(constF)] : undefined));
    }
    case 'Tile': return [x.map((f, i) => [ints(1, 'repeats')[i], ...f])];
    case 'ArgMax': case 'ArgMin': {
      const a = normAxis(n.attrInt('axis', 0), x.length), keep = n.attrInt('keepdims', 1);
      return [x.flatMap((f, i) => (i === a ? (keep ? [[]] : []) : [f]))];
    }
  }
  if (REDUCE.has(op)) {
    const fromInput = op === 'ReduceSum' ? g.opset >= 13 : g.opset >= 18;
    let axes = fromInput ? (n.inputs[1] ? ints(1, 'axes') : undefined) : (n.attrs.axes ? n.attrInts('axes') : undefined);
    if (!axes || axes.length === 0) {
      if (n.attrInt('noop_with_empty_axes', 0)) return [x];
      axes = x.map((_, i) => i);
    }
    const set = new Set(axes.map((a) => normAxis(a, x.length))), keep = n.attrInt('keepdims', 1);
    return [x.flatMap((f, i) => (!set.has(i) ? [f] : keep ? [[]] : []))];
  }
  return fail('op not supported on a re-specialised path');
}

/** Splits the flattened factors of each group of input dims over the group's output dims (old sizes). */
function reshapeLayout(x: Layout, inOld: number[], outOld: number[], S0: number, fail: (m: string) => never): Layout {
  if (numel(inOld) !== numel(outOld)) fail(`element counts differ: [${inOld}] vs [${outOld}]`);
  const out: Layout = [];
  let i = 0, j = 0;
  while (i < inOld.length || j < outOld.length) {
    // one group: the shortest non-empty prefixes with equal products (size-1 dims join the current group, so a
    // batch of 1 that merges with the dims after it — [1,8,8,7,7,C] → [64,7,7,C], B·nW — lands in their group)
    let pi = 1, pj = 1;
    const gi: number[] = [], gj: number[] = [];
    do {
      if ((pi <= pj && i < inOld.length) || j >= outOld.length) { pi *= inOld[i]; gi.push(i++); }
      else { pj *= outOld[j]; gj.push(j++); }
    } while (pi !== pj || (i < inOld.length && (inOld[i] === 1 || gi.length === 0)) || (j < outOld.length && (outOld[j] === 1 || gj.length === 0)));
    const factors = norm(gi.flatMap((k) => x[k]));
    if (!factors.some((f) => f === 'S')) { for (const k of gj) out.push(constF(outOld[k])); continue; }
    for (const k of gj) {
      // S0 = 1: a size-1 output dim reached when S is next takes it whole (the batch of a batch-1 export)
      if (S0 === 1 && outOld[k] === 1 && factors[0] === 'S') { factors.shift(); out.push(['S']); continue; }
      let rem = outOld[k];
      const dim: Factors = [];
      while (rem > 1) {
        const f = factors[0];
        if (f === undefined) fail('ran out of factors');
        if (f === 'S') {
          if (rem % S0 !== 0) fail(`output dim ${k} (${outOld[k]}) would cut the re-specialised axis`);
          factors.shift(); dim.push('S'); rem /= S0;
        } else {
          const c = gcd(f, rem);
          if (c === 1) fail(`output dim ${k} (${outOld[k]}) does not align with the factors of the input`);
          dim.push(c); rem /= c;
          if (c === f) factors.shift(); else factors[0] = f / c;
        }
      }
      out.push(norm(dim));
    }
    if (factors.length) fail('factors left over');
  }
  return out;
}

const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function sliceLayout(g: Graph, n: Node, x: Layout, old: number[], S0: number, S1: number, ints: (i: number, w: string) => number[],
  rewrite: (i: number, v: number[]) => void, fail: (m: string) => never, pending: (() => void)[]): Layout {
  const v10 = g.opset >= 10;
  const starts = v10 ? ints(1, 'starts') : n.attrInts('starts'), ends = v10 ? ints(2, 'ends') : n.attrInts('ends');
  const axes = v10 ? (n.inputs[3] ? ints(3, 'axes') : starts.map((_, i) => i)) : n.attrInts('axes', starts.map((_, i) => i));
  const steps = v10 && n.inputs[4] ? ints(4, 'steps') : starts.map(() => 1);
  const out = [...x], ns = [...starts], ne = [...ends];
  axes.forEach((a0, k) => {
    const a = normAxis(a0, x.length);
    const r0 = sliceRange(old[a], starts[k], ends[k], steps[k]);
    if (!hasS(x[a])) { out[a] = constF(r0.count); return; }
    const d1 = evalF(x[a], S1);
    if (r0.count === old[a] && Math.abs(steps[k]) === 1) {
      // the whole axis: keep it, with bounds for the new length
      if (steps[k] === 1) { ns[k] = 0; ne[k] = d1; } else { ns[k] = d1 - 1; ne[k] = -d1 - 1; }
      return;
    }
    // a slice from a fixed start to the end (h[:, 1:], end INT64_MAX or exactly the old length): the tokens after
    // the prefix (an average-pool head's patch tokens). Tokens are inserted before it (VPT puts its prompts right
    // after the prefix tokens), so the same tokens are the last old − start ones: the start moves by S1 − S0
    const toEnd = steps[k] > 0 && starts[k] >= 1 && (ends[k] < 0 ? ends[k] + old[a] : ends[k]) >= old[a];
    if (toEnd) { ns[k] = starts[k] + d1 - old[a]; ne[k] = d1; out[a] = constF(r0.count); return; }
    const end = ends[k] >= 2 ** 62 ? 'end' : ends[k];
    if (sliceRange(d1, starts[k], ends[k], steps[k]).count !== r0.count) fail(`slice [${starts[k]}:${end}:${steps[k]}] of the re-specialised axis ${a} depends on its length`);
    out[a] = constF(r0.count);
  });
  if (ns.some((s, i) => s !== starts[i]) || ne.some((e, i) => e !== ends[i])) {
    if (!v10) pending.push(() => { n.attrs.starts = { type: 'ints', value: ns }; n.attrs.ends = { type: 'ints', value: ne }; });
    else { rewrite(1, ns); rewrite(2, ne); }
  }
  return out;
}
