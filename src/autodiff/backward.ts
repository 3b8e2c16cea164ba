// The reverse walk (after tinygrad's compute_gradient): find the nodes between the requested inputs and the
// seeded outputs, visit them in reverse topological order, call each op's rule, reduce broadcast gradients to
// the input's shape, and sum fan-out. Ops without a rule are refused before anything is emitted.
import { Builder } from '../onnx/builder.ts';
import type { Graph, Node, Value } from '../onnx/ir.ts';
import { isFloat } from '../onnx/tensor.ts';
import { mergePads } from './merge-pads.ts';
import { getRule } from './registry.ts';
import type { GradCtx } from './types.ts';

export interface BackwardOptions {
  /** Outputs and the gradient (cotangent) flowing into each. */
  seeds: { value: Value; grad: Value }[];
  /** Values to differentiate with respect to (graph inputs, trainable initializers or intermediates). */
  wrt: Value[];
  /** Name prefix for emitted nodes and values. */
  prefix?: string;
}

export class MissingGradientError extends Error {}

/** Nodes that lie on a path from `wrt` to `seeds`, in forward order, and the set of active values. */
export function gradientPath(g: Graph, wrt: Value[], seeds: Value[]): { nodes: Node[]; active: Set<Value> } {
  const active = new Set<Value>(wrt);
  for (const n of g.nodes) {
    const spec = getRule(n.opType);
    const nondiff = new Set(spec?.nondiff ?? []);
    if (!n.inputs.some((v, i) => v && active.has(v) && !nondiff.has(i))) continue;
    for (const o of n.outputs) if (isFloat(o.dtype)) active.add(o);
  }
  const needed = new Set<Value>(seeds.filter((s) => active.has(s)));
  const nodes: Node[] = [];
  for (let k = g.nodes.length - 1; k >= 0; k--) {
    const n = g.nodes[k];
    if (!n.outputs.some((o) => needed.has(o))) continue;
    nodes.push(n);
    for (const v of n.inputs) if (v && active.has(v)) needed.add(v);
  }
  return { nodes: nodes.reverse(), active: new Set([...active].filter((v) => needed.has(v))) };
}

/** Sums a gradient in a broadcast shape back down to `shape`. */
export function unbroadcast(b: Builder, grad: Value, shape: number[]): Value {
  const gs = grad.dims;
  if (gs.length === shape.length && gs.every((d, i) => d === shape[i])) return grad;
  const lead = gs.length - shape.length;
  if (lead < 0 || shape.some((d, i) => d !== 1 && gs[i + lead] !== d)) throw new Error(`internal: a gradient of shape [${gs}] does not broadcast to the input shape [${shape}]`);
  const axes: number[] = [];
  for (let i = 0; i < gs.length; i++) if (i < lead || (shape[i - lead] === 1 && gs[i] !== 1)) axes.push(i);
  let r = axes.length ? b.reduceSum(grad, axes, true) : grad;
  if (r.dims.length !== shape.length || r.dims.some((d, i) => d !== shape[i])) r = b.reshape(r, shape);
  return r;
}

export function backward(g: Graph, opts: BackwardOptions): Map<Value, Value | null> {
  const { nodes, active } = gradientPath(g, opts.wrt, opts.seeds.map((s) => s.value));
  const missing = nodes.filter((n) => !getRule(n.opType) || n.domain !== '');
  if (missing.length) {
    const names = [...new Set(missing.map((n) => `${n.domain ? n.domain + '.' : ''}${n.opType}`))];
    throw new MissingGradientError(`no gradient rule for op ${names.join(', ')} (first at node '${missing[0].name}')`);
  }
  const b = new Builder(g, opts.prefix ?? 'grad/');
  const contributions = new Map<Value, Value[]>();
  const push = (v: Value, gv: Value) => {
    const list = contributions.get(v);
    if (list) list.push(gv); else contributions.set(v, [gv]);
  };
  for (const s of opts.seeds) if (active.has(s.value)) push(s.value, s.grad);
  const total = (v: Value): Value | null => {
    const got = contributions.get(v);
    if (!got?.length) return null;
    const list = mergePads(b, got);   // disjoint zero-pads of one tensor: one Concat instead of Pads and Adds
    let acc = list[0];
    for (let i = 1; i < list.length; i++) acc = b.add(acc, list[i]);
    contributions.set(v, [acc]);
    return acc;
  };
  for (let k = nodes.length - 1; k >= 0; k--) {
    const n = nodes[k];
    const gos = n.outputs.map((o) => total(o));
    if (gos.every((x) => !x)) continue;
    const spec = getRule(n.opType)!;
    const nondiff = new Set(spec.nondiff ?? []);
    const ctx: GradCtx = {
      b, node: n, opset: g.opset,
      I: (i) => n.input(i),
      O: (i) => n.outputs[i],
      GO: (i) => gos[i] ?? null,
      needs: (i) => { const v = n.inputs[i]; return !!v && active.has(v) && !nondiff.has(i); },
    };
    const gis = spec.grad(ctx);
    n.inputs.forEach((v, i) => {
      if (!v || !ctx.needs(i)) return;
      const gi = gis[i];
      if (!gi) return;
      push(v, unbroadcast(b, gi, v.dims));
    });
  }
  const out = new Map<Value, Value | null>();
  for (const w of opts.wrt) out.set(w, total(w));
  return out;
}
