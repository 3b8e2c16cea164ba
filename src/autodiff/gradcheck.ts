// The shared numeric gradient checker (after onnxruntime's GradientChecker and JAX's check_grads): builds
// `y = f(x…)`, its backward graph, and compares ⟨t, VJP(c)⟩ with the central difference of ⟨f(x ± εt), c⟩
// along a random direction t — two forward runs whatever the tensor sizes. The runner is injected so the
// autodiff core stays free of any runtime.
import { Builder } from '../onnx/builder.ts';
import { assertValid } from '../onnx/checker.ts';
import { Graph, type Value } from '../onnx/ir.ts';
import { numel, type Tensor } from '../onnx/tensor.ts';
import { backward } from './backward.ts';

export type Runner = (g: Graph, feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>;

export interface CheckInput {
  shape: number[];
  /** Explicit data; default: uniform in [lo, hi). */
  data?: Float32Array;
  lo?: number;
  hi?: number;
  /** Whether to differentiate with respect to this input (default true). */
  diff?: boolean;
  /** Non-float inputs (indices, conditions) are fed as given and never differentiated. */
  dtype?: Tensor['dtype'];
  values?: number[];
}

export interface CheckResult { analytic: number; numeric: number; relError: number; gradNames: string[] }

/** Small deterministic PRNG (mulberry32) so checks are reproducible. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Builds y = build(xs), a `cotangent` input and the backward graph; outputs y then one `grad_x<i>` per input. */
export function buildCheck(build: (b: Builder, xs: Value[]) => Value, inputs: CheckInput[], opset: number) {
  const g = new Graph();
  g.opsetImports = [{ domain: '', version: opset }];
  const b = new Builder(g);
  const xs = inputs.map((inp, i) => {
    const v = g.value(`x${i}`);
    v.dtype = inp.dtype ?? 'float32';
    v.shape = [...inp.shape];
    g.inputs.push(v);
    return v;
  });
  const y = build(b, xs);
  const forward = g.nodes.length;
  const c = g.value('cotangent');
  c.dtype = 'float32';
  c.shape = [...y.dims];
  g.inputs.push(c);
  const wrt = xs.filter((_, i) => (inputs[i].diff ?? true) && !inputs[i].dtype);
  const grads = backward(g, { seeds: [{ value: y, grad: c }], wrt });
  const outs: Value[] = [y];
  const gradNames: string[] = [];
  for (const w of wrt) {
    let gv = grads.get(w);
    if (!gv) gv = b.op('Mul', [w, b.scalar(0)]); // no path: zero gradient
    const named = b.op('Identity', [gv], {}, `grad_${w.name}`);
    gradNames.push(named.name);
    outs.push(named);
  }
  g.outputs = outs;
  assertValid(g);
  return { g, y, wrt, gradNames, gradNodes: g.nodes.slice(forward) };
}

export async function gradcheck(run: Runner, build: (b: Builder, xs: Value[]) => Value, inputs: CheckInput[], opts: { opset?: number; eps?: number; seed?: number } = {}): Promise<CheckResult> {
  const r = rng(opts.seed ?? 1);
  const eps = opts.eps ?? 1e-3;
  const { g, y, wrt, gradNames } = buildCheck(build, inputs, opts.opset ?? 17);
  const feeds: Record<string, Tensor> = {};
  inputs.forEach((inp, i) => {
    if (inp.dtype) {
      const n = numel(inp.shape);
      const vals = inp.values ?? Array(n).fill(0);
      const data = inp.dtype === 'int64' ? BigInt64Array.from(vals, (x) => BigInt(x)) : inp.dtype === 'int32' ? Int32Array.from(vals) : Uint8Array.from(vals);
      feeds[`x${i}`] = { dtype: inp.dtype, shape: inp.shape, data };
      return;
    }
    const lo = inp.lo ?? -1, hi = inp.hi ?? 1;
    feeds[`x${i}`] = { dtype: 'float32', shape: inp.shape, data: inp.data ?? Float32Array.from({ length: numel(inp.shape) }, () => lo + (hi - lo) * r()) };
  });
  const cData = Float32Array.from({ length: numel(y.dims) }, () => r() * 2 - 1);
  feeds.cotangent = { dtype: 'float32', shape: y.dims, data: cData };
  const dirs = new Map(wrt.map((w) => [w.name, Float32Array.from({ length: numel(w.dims) }, () => r() * 2 - 1)]));

  const res = await run(g, feeds);
  let analytic = 0, scale = 0;
  wrt.forEach((w, k) => {
    const gd = res[gradNames[k]].data as Float32Array, t = dirs.get(w.name)!;
    for (let i = 0; i < t.length; i++) { analytic += t[i] * gd[i]; scale += Math.abs(t[i] * gd[i]); }
  });
  const shifted = async (sign: number) => {
    const f2 = { ...feeds };
    for (const w of wrt) {
      const base = feeds[w.name].data as Float32Array, t = dirs.get(w.name)!;
      f2[w.name] = { dtype: 'float32', shape: w.dims, data: base.map((x, i) => x + sign * eps * t[i]) };
    }
    const out = (await run(g, f2))[y.name].data as Float32Array;
    let s = 0;
    for (let i = 0; i < out.length; i++) s += out[i] * cData[i];
    return s;
  };
  const numeric = ((await shifted(1)) - (await shifted(-1))) / (2 * eps);
  // relative to Σ|tᵢ·gᵢ| rather than |⟨t, g⟩|: a direction nearly orthogonal to the gradient must not turn
  // float32 rounding into a large relative error
  const relError = Math.abs(analytic - numeric) / Math.max(1e-3, scale, Math.abs(numeric));
  return { analytic, numeric, relError, gradNames };
}
