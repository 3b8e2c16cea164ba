// resizeAxis on synthetic attention-like graphs: a graph built for length S0, grown to S1 by a Concat and
// re-specialised, must compute exactly what the same graph built directly for S1 computes (onnxruntime-node);
// plus the refusals (one line naming the node) and the no-shared-initializer-mutation invariant.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../runtime/ort-node.ts';
import { Builder, f } from '../builder.ts';
import { assertValid } from '../checker.ts';
import { Graph, type Value } from '../ir.ts';
import { printGraph } from '../printer.ts';
import { toNumbers, type Tensor } from '../tensor.ts';
import { resizeAxis } from './respecialize.ts';

const N = 2, D = 6;
type Body = (b: Builder, x: Value, s: number) => Value[];

function rand(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, c) => a * c, 1), data = new Float32Array(n);
  let st = seed;
  for (let i = 0; i < n; i++) { st = (st * 1103515245 + 12345) % 2147483648; data[i] = st / 2147483648 - 0.5; }
  return { dtype: 'float32', shape, data };
}

function graphOf(body: Body, s: number, d = D): { g: Graph; x: Value; b: Builder } {
  const g = new Graph();
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [N, s, d];
  g.inputs = [x];
  const b = new Builder(g);
  g.outputs = body(b, x, s);
  return { g, x, b };
}

/** Concatenates [N, a, d] and [N, c, d] along axis 1. */
function cat1(a: Tensor, c: Tensor): Tensor {
  const [n, s1, d] = a.shape, s2 = c.shape[1], out = new Float32Array(n * (s1 + s2) * d);
  for (let i = 0; i < n; i++) {
    out.set((a.data as Float32Array).subarray(i * s1 * d, (i + 1) * s1 * d), i * (s1 + s2) * d);
    out.set((c.data as Float32Array).subarray(i * s2 * d, (i + 1) * s2 * d), (i * (s1 + s2) + s1) * d);
  }
  return { dtype: 'float32', shape: [n, s1 + s2, d], data: out };
}

/** Builds `body` at s0, grows x by `extra` tokens through a Concat, re-specialises; compares with `body` at s0+extra. */
async function compare(body: Body, s0: number, extra: number, d = D): Promise<Graph> {
  const { g, x, b } = graphOf(body, s0, d);
  const y = g.value('y'); y.dtype = 'float32'; y.shape = [N, extra, d];
  g.inputs.push(y);
  const cat = b.op('Concat', [x, y], { axis: 1 });
  for (const u of [...x.users]) if (u !== cat.producer) u.inputs.forEach((v, i) => { if (v === x) g.setInput(u, i, cat); });
  expect(resizeAxis(g, cat, 1, s0 + extra, s0)).toBe(true);
  const xs = rand([N, s0, d], 1), ys = rand([N, extra, d], 2);
  const got = await runGraph(g, { x: xs, y: ys });
  const ref = graphOf(body, s0 + extra, d).g;
  const want = await runGraph(ref, { x: cat1(xs, ys) });
  ref.outputs.forEach((o, i) => {
    const a = got[g.outputs[i].name], w = want[o.name];
    expect(a.shape).toEqual(w.shape);
    const av = a.data as Float32Array, wv = w.data as Float32Array;
    for (let k = 0; k < wv.length; k++) expect(Math.abs(av[k] - wv[k])).toBeLessThan(1e-6);
  });
  return g;
}

// torchvision-style attention with packed heads (N·h merged into one axis, S seq-first), plus the other ops
const attention: Body = (b, x, s) => {
  const ln = b.op('LayerNormalization', [x, b.constF(Array(D).fill(1.5)), b.constF(Array(D).fill(0.1))], { axis: -1, epsilon: f(1e-5) });
  const r = b.reshape(b.transpose(ln, [1, 0, 2]), [s, 2 * N, 3]);
  const q = b.transpose(r, [1, 0, 2]), k = b.transpose(r, [1, 2, 0]);
  const sm = b.op('Softmax', [b.op('MatMul', [q, k])], { axis: -1 });
  const o = b.reshape(b.transpose(b.op('MatMul', [sm, q]), [1, 0, 2]), [N * s, D]);
  const gm = b.op('Gemm', [o, b.const(rand([D, D], 3)), b.const(rand([D], 4))], { transB: 1 });
  const res = b.add(b.transpose(b.reshape(gm, [s, N, D]), [1, 0, 2]), x);
  // the whole S axis (explicit end s) and the whole D axis (end INT64_MAX, which must survive the rewrite)
  const ends = b.const({ dtype: 'int64', shape: [2], data: new BigInt64Array([BigInt(s), 0x7fffffffffffffffn]) });
  const whole = b.op('Slice', [res, b.constI64([0, 0]), ends, b.constI64([1, 2])]);
  const fl = b.reshape(b.op('Flatten', [b.unsqueeze(whole, [0])], { axis: 2 }), [N, s, D]);
  const [p1, p2] = b.opN('Split', [fl, b.constI64([3, 3])], 2, { axis: 2 });
  const gl = b.op('Concat', [b.op('Erf', [p1]), b.mul(p2, b.op('Sqrt', [b.op('Abs', [p2])]))], { axis: 2 });
  const ex = b.op('ReduceSum', [b.op('Expand', [gl, b.constI64([3, 1, s, D])]), b.constI64([0])], { keepdims: 0 });
  const mean = b.reduce('ReduceMean', ex, [1], true);
  const cls = b.op('Gather', [b.sub(ex, mean), b.constI64([0], [])], { axis: 1 });
  const first2 = b.op('Slice', [ex, b.constI64([0]), b.constI64([2]), b.constI64([1])]);
  return [cls, b.squeeze(b.reduceSum(first2, [1], true), [1]), ex];
};

describe('resizeAxis', () => {
  it('re-specialises a packed-head attention block (Reshape to [S,2N,3], [N·S,D], [S,N,D]) and friends', async () => {
    const g = await compare(attention, 5, 3);
    expect(g.outputs[2].dims).toEqual([N, 8, D]);
  });
  it('works from other lengths (7 → 9)', async () => { await compare(attention, 7, 2); });
  it('keeps S in the right dim when the old length equals another factor (S0 = 4 = D)', async () => {
    // [N,4,4] → [8,4]: 8 = N·S and 4 = D are both divisible by S0; the factor lists know which one holds S
    const body: Body = (b, x, s) => {
      const y = b.op('Gemm', [b.reshape(x, [N * s, 4]), b.const(rand([4, 4], 5))], { transB: 1 });
      const z = b.reshape(b.transpose(b.reshape(y, [N, s, 2, 2]), [0, 2, 1, 3]), [N, 2, 2 * s]);
      return [b.op('MatMul', [z, b.transpose(z, [0, 2, 1])]), z];
    };
    await compare(body, 4, 3, 4);
  });
  it('tracks S² (scores flattened to [heads, S·S])', async () => {
    const body: Body = (b, x, s) => {
      const sc = b.op('MatMul', [x, b.transpose(x, [0, 2, 1])]);
      const flat = b.op('Softmax', [b.reshape(sc, [N, s * s])], { axis: -1 });
      return [b.reshape(flat, [N, s, s])];
    };
    await compare(body, 3, 2);
  });
  it('writes new initializers and leaves a shared one alone', () => {
    const { g, x, b } = graphOf((b, x) => [b.reshape(x, [N * 5, D])], 5);
    const target = g.outputs[0].producer!.input(1);
    const other = g.value('z'); other.dtype = 'float32'; other.shape = [N, 5, D]; g.inputs.push(other);
    g.outputs.push(b.op('Reshape', [other, target]));
    const cat = b.op('Concat', [x, b.const(rand([N, 2, D], 6))], { axis: 1 });
    g.setInput(g.outputs[0].producer!, 0, cat);
    resizeAxis(g, cat, 1, 7, 5);
    expect(toNumbers(target.constant!)).toEqual([N * 5, D]);
    expect(g.outputs[1].producer!.input(1)).toBe(target);
    expect(g.outputs[0].dims).toEqual([N * 7, D]);
    assertValid(g);
  });
  const refuse = (body: Body, re: RegExp) => {
    const { g, x, b } = graphOf(body, 5);
    const cat = b.op('Concat', [x, b.const(rand([N, 1, D], 7))], { axis: 1 });
    for (const u of [...x.users]) if (u !== cat.producer) u.inputs.forEach((v, i) => { if (v === x) g.setInput(u, i, cat); });
    const before = printGraph(g);
    expect(() => resizeAxis(g, cat, 1, 6, 5)).toThrow(re);
    expect(printGraph(g)).toBe(before);
  };
  it('refuses a constant with the old length baked in, naming the node', () => {
    // (after a Reshape that must not be rewritten when the walk fails further down)
    refuse((b, x) => [b.op('Add', [b.reshape(x, [N, 5, D]), b.const(rand([1, 5, D], 8))])], /cannot re-specialise Add 'Add_\d+': axis 1 mixes/);
  });
  it('refuses a slice whose length depends on S, a concat along S and unsupported ops', () => {
    refuse((b, x) => [b.op('Slice', [x, b.constI64([0]), b.constI64([-1]), b.constI64([1])])], /Slice .*slice \[0:-1:1\] of the re-specialised axis 1 depends on its length/);
    refuse((b, x) => [b.op('Concat', [x, b.const(rand([N, 1, D], 9))], { axis: 1 })], /Concat .*along the re-specialised axis/);
    refuse((b, x) => [b.op('Shape', [x])], /Shape .*not supported/);
    refuse((b, x) => [b.op('Split', [x, b.constI64([2, 3])], { axis: 1 })], /splits the re-specialised axis/);
  });

  it('a slice to the end (x[:, 1:], end INT64_MAX) keeps the tokens after the prefix when tokens are inserted after it', async () => {
    // average-pool heads: mean of x[:, 1:]; VPT puts its prompts right after the prefix token, so the head must still
    // average the same patch tokens
    const s0 = 5, extra = 3;
    const { g, x, b } = graphOf((bb, xx) => [bb.op('ReduceMean', [bb.op('Slice', [xx, bb.constI64([1]), bb.constI64([2 ** 63]), bb.constI64([1])])], { axes: [1], keepdims: 0 })], s0);
    const y = g.value('y'); y.dtype = 'float32'; y.shape = [N, extra, D];
    g.inputs.push(y);
    const prefix = b.op('Slice', [x, b.constI64([0]), b.constI64([1]), b.constI64([1])]);
    const rest = b.op('Slice', [x, b.constI64([1]), b.constI64([s0]), b.constI64([1])]);
    const cat = b.op('Concat', [prefix, y, rest], { axis: 1 });
    const pool = [...x.users].find((u) => u.opType === 'Slice' && u.outputs[0].users.size > 0)!;
    g.setInput(pool, 0, cat);
    expect(resizeAxis(g, cat, 1, s0 + extra, s0)).toBe(true);
    const xs = rand([N, s0, D], 1), ys = rand([N, extra, D], 2);
    const got = (await runGraph(g, { x: xs, y: ys }))[g.outputs[0].name].data as Float32Array;
    const xd = xs.data as Float32Array;
    for (let i = 0; i < N; i++) for (let d = 0; d < D; d++) {
      let m = 0;
      for (let t = 1; t < s0; t++) m += xd[(i * s0 + t) * D + d] / (s0 - 1);
      expect(Math.abs(got[i * D + d] - m)).toBeLessThan(1e-6);
    }
  });

  it('zero-pads an additive constant that carries the axis at the insertion index (BEiT\'s relative-position bias)', async () => {
    // scores [N,S,S] + bias [1,S,S] (a folded constant): VPT inserts p tokens after the prefix, and VPT's code pads the
    // bias with zeros for them; the reference is the same block at S0 + p with that zero-padded bias
    const s0 = 5, extra = 3, k = 1, bias = rand([1, s0, s0], 11);
    const padded = (s: number): Tensor => {
      if (s === s0) return bias;
      const out = new Float32Array(s * s), src = bias.data as Float32Array, at = (i: number) => (i < k ? i : i + extra);
      for (let i = 0; i < s0; i++) for (let j = 0; j < s0; j++) out[at(i) * s + at(j)] = src[i * s0 + j];
      return { dtype: 'float32', shape: [1, s, s], data: out };
    };
    const block: Body = (b, x, s) => {
      const sc = b.add(b.op('MatMul', [x, b.transpose(x, [0, 2, 1])]), b.const(padded(s)));
      return [b.op('MatMul', [b.op('Softmax', [sc], { axis: -1 }), x])];
    };
    const { g, x, b } = graphOf(block, s0);
    const y = g.value('y'); y.dtype = 'float32'; y.shape = [N, extra, D];
    g.inputs.push(y);
    const users = [...x.users];
    const cat = b.op('Concat', [b.op('Slice', [x, b.constI64([0]), b.constI64([k]), b.constI64([1])]), y, b.op('Slice', [x, b.constI64([k]), b.constI64([s0]), b.constI64([1])])], { axis: 1 });
    for (const u of users) u.inputs.forEach((v, i) => { if (v === x) g.setInput(u, i, cat); });
    const before = printGraph(g);
    // without the insertion index (re-batching) the constant is refused, the graph left as it was
    expect(() => resizeAxis(g, cat, 1, s0 + extra, s0)).toThrow(/cannot re-specialise Add .*axis 1 mixes \[S\] with \[5\]/);
    expect(printGraph(g)).toBe(before);
    const shared = g.nodes.find((n) => n.opType === 'Add')!.inputs.find((v) => v?.constant)!;
    expect(resizeAxis(g, cat, 1, s0 + extra, s0, { insertAt: k })).toBe(true);
    expect(shared.constant!.shape).toEqual([1, s0, s0]); // a NEW initializer: the old one is not mutated
    const xs = rand([N, s0, D], 1), ys = rand([N, extra, D], 2);
    const got = (await runGraph(g, { x: xs, y: ys }))[g.outputs[0].name].data as Float32Array;
    const xd = xs.data as Float32Array, yd = ys.data as Float32Array, full = new Float32Array(N * (s0 + extra) * D);
    for (let i = 0; i < N; i++) for (let t = 0; t < s0 + extra; t++) for (let d = 0; d < D; d++) {
      full[(i * (s0 + extra) + t) * D + d] = t < k ? xd[(i * s0 + t) * D + d] : t < k + extra ? yd[(i * extra + t - k) * D + d] : xd[(i * s0 + t - extra) * D + d];
    }
    const ref = graphOf(block, s0 + extra).g;
    const want = (await runGraph(ref, { x: { dtype: 'float32', shape: [N, s0 + extra, D], data: full } }))[ref.outputs[0].name].data as Float32Array;
    for (let i = 0; i < want.length; i++) expect(Math.abs(got[i] - want[i])).toBeLessThan(1e-6);
  });

  it('pads only additive constants: a multiplicative one with the old length is still refused', () => {
    const { g, x, b } = graphOf((bb, xx) => [bb.mul(bb.op('MatMul', [xx, bb.transpose(xx, [0, 2, 1])]), bb.const(rand([1, 5, 5], 12)))], 5);
    const cat = b.op('Concat', [x, b.const(rand([N, 1, D], 7))], { axis: 1 });
    for (const u of [...x.users]) if (u !== cat.producer) u.inputs.forEach((v, i) => { if (v === x) g.setInput(u, i, cat); });
    expect(() => resizeAxis(g, cat, 1, 6, 5, { insertAt: 5 })).toThrow(/cannot re-specialise Mul .*mixes \[S\] with \[5\]/);
  });
});
