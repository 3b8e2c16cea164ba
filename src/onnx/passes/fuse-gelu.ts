// Pass pair: the exact (erf) GELU as one node while a training graph is built, and as onnxruntime's own Gelu
// kernel when the graph's opset has no Gelu.
// Exporters below opset 20 write GELU as five elementwise nodes, y = x · ½ · (1 + erf(x / √2)), in one of the
// orders below. Differentiated node by node, that chain keeps its intermediates alive and costs 9 more elementwise
// kernels; as one Gelu node the backward is built from x alone (rules/Gelu.ts) and the forward is one kernel.
// Measured on ViT-B/16 (README, "Kernels and weights per step").
//
// fuseGelu — matches, on float tensors, with every intermediate used once and not a graph output:
//   Div(x, √2) | Mul(x, 1/√2)  →  Erf  →  Add(·, 1)  →  then one of
//     Mul(x, a) → Mul(·, ½);   Mul(Mul(x, ½), a);   Mul(x, Mul(a, ½))       (operands of Add/Mul in either order)
//   Invariants after: each matched chain is one Gelu node (domain '', approximate 'none') writing the chain's
//   output Value (same name, dtype, shape); no other node changes; the graph stays topologically sorted.
// lowerGelu — below opset 20 every Gelu (approximate 'none') becomes com.microsoft Gelu (the same function; what
//   onnxruntime's own GeluFusion writes, with kernels on its CPU, wasm and WebGPU EPs — its fusion would only
//   re-fuse the exporters' chain on CPU, leaving 5 kernels on WebGPU).
//   Invariants after: no default-domain Gelu remains below opset 20; the com.microsoft opset (1) is imported when
//   used; nodes, Values and order are otherwise unchanged.
import type { Graph, Node, Value } from '../ir.ts';
import { other, scalarOf, soleUser } from './match.ts';

const FLOATS = new Set(['float32', 'float16', 'float64']);
const MS = 'com.microsoft';

const near = (a: number | undefined, b: number) => a !== undefined && Math.abs(a - b) <= 1e-6 * Math.abs(b);

/** The one reader of v if it is a default-domain `op` node and nothing else reads v. */
function next(g: Graph, v: Value, op: string): Node | undefined {
  const u = soleUser(g, v);
  return u?.opType === op && u.domain === '' ? u : undefined;
}

/** If `e` (an Erf node) heads a GELU of x, the chain's nodes and output. */
function matchFrom(g: Graph, e: Node): { x: Value; nodes: Node[]; y: Value } | undefined {
  const pre = e.inputs[0]?.producer;
  if (!pre || pre.domain !== '' || e.inputs.length !== 1) return undefined;
  let x: Value | null | undefined;
  if (pre.opType === 'Div' && near(scalarOf(pre.inputs[1]), Math.SQRT2)) x = pre.inputs[0];
  else if (pre.opType === 'Mul') {
    const [p, q] = pre.inputs;
    x = near(scalarOf(q), Math.SQRT1_2) ? p : near(scalarOf(p), Math.SQRT1_2) ? q : undefined;
  }
  if (!x || x.constant || !FLOATS.has(x.dtype ?? '') || soleUser(g, pre.outputs[0]) !== e) return undefined;
  const add = next(g, e.outputs[0], 'Add');
  if (!add || !near(scalarOf(other(add, e.outputs[0])), 1)) return undefined;
  const a = add.outputs[0];
  const m1 = next(g, a, 'Mul');
  if (!m1) return undefined;
  const o = other(m1, a);
  if (!o) return undefined;
  if (o === x || near(scalarOf(o), 0.5)) {               // Mul(x, a) → Mul(·, ½)  or  Mul(x, Mul(a, ½))
    const m2 = next(g, m1.outputs[0], 'Mul');
    const last = m2 && other(m2, m1.outputs[0]);
    if (!m2 || !(o === x ? near(scalarOf(last), 0.5) : last === x)) return undefined;
    return { x, nodes: [pre, e, add, m1, m2], y: m2.outputs[0] };
  }
  const half = o.producer;                                // Mul(Mul(x, ½), a)
  if (!half || half.opType !== 'Mul' || half.domain !== '' || soleUser(g, o) !== m1) return undefined;
  if (other(half, x) === null || !near(scalarOf(other(half, x)), 0.5)) return undefined;
  return { x, nodes: [pre, e, add, half, m1], y: m1.outputs[0] };
}

/** Fuses every exact-GELU chain into one Gelu node; returns how many. */
export function fuseGelu(g: Graph): number {
  let fused = 0;
  for (const e of g.nodes.filter((n) => n.opType === 'Erf' && n.domain === '')) {
    if (!g.nodes.includes(e)) continue;
    const m = matchFrom(g, e);
    if (!m) continue;
    // x is made before the chain's first node and y used after its last: the first node's place fits
    const at = Math.min(...m.nodes.map((n) => g.nodes.indexOf(n)));
    for (const n of m.nodes) g.removeNode(n);
    g.addNode('Gelu', [m.x], [m.y], { approximate: { type: 'string', value: 'none' } }, { at });
    fused++;
  }
  if (fused) g.pruneValues();
  return fused;
}

/** Puts every Gelu the graph's opset lacks into onnxruntime's contrib domain (com.microsoft Gelu, opset 1). */
export function lowerGelu(g: Graph): number {
  if (g.opset >= 20) return 0;
  let lowered = 0;
  for (const n of g.nodes.filter((k) => k.opType === 'Gelu' && k.domain === '')) {
    if (n.attrString('approximate', 'none') !== 'none') throw new Error(`Gelu '${n.name}': approximate='tanh' needs opset 20 (graph has ${g.opset})`);
    n.domain = MS;
    delete n.attrs.approximate;
    lowered++;
  }
  if (lowered && !g.opsetImports.some((o) => o.domain === MS)) g.opsetImports.push({ domain: MS, version: 1 });
  return lowered;
}
