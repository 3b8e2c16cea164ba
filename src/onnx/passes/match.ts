// Small pattern-matching helpers shared by the rewriting passes (fuse-gelu, fold-scale): what a one-element
// constant holds, the single consumer of a value that nothing else (not even a graph output) reads, and the other
// operand of a binary node.
import type { Graph, Node, Value } from '../ir.ts';

/** The number a one-element float constant holds (any other value: undefined). */
export function scalarOf(v: Value | null | undefined): number | undefined {
  const t = v?.constant;
  return t && t.data.length === 1 && (t.dtype === 'float32' || t.dtype === 'float64' || t.dtype === 'float16') ? Number(t.data[0]) : undefined;
}

/** The one node reading v, when exactly one does and v is not a graph output (so a rewrite may drop v). */
export function soleUser(g: Graph, v: Value): Node | undefined {
  if (v.users.size !== 1 || g.outputs.includes(v)) return undefined;
  return v.users.values().next().value;
}

/** The other operand of a binary node whose one operand is v (null when v is neither). */
export function other(n: Node, v: Value): Value | null {
  if (n.inputs.length !== 2) return null;
  return n.inputs[0] === v ? n.inputs[1] : n.inputs[1] === v ? n.inputs[0] : null;
}
