// Pass: node order for onnxruntime's scheduler — the nodes that do not depend on the given values (in a train step:
// the gradient seed) first, then the ones that do, each part in its existing order.
// Why: onnxruntime runs a graph in the order of a depth-first search from its outputs that, at each node, visits
// the input with the highest node index (its place in the file) first, so of two inputs the one written earlier is
// computed later, just before its user. A gradient rule's terms that read only forward values (the GELU backward's
// erf and exp of x, the LayerNorm backward's normalised x) were written after the gradient they meet, so
// onnxruntime computed those of every layer at the start of the backward and kept them all alive (measured on a
// ViT: the Exp and Erf of all blocks right after the first backward Gemm). Written before every gradient node,
// each is computed when its layer's backward reaches it.
// Invariants after: the same nodes; every node not reachable from `from` precedes every node that is; within each
// part the relative order is unchanged, so a topological order stays one (an unreachable node reads no reachable
// value). Returns whether the order changed.
import type { Graph, Node, Value } from '../ir.ts';

export function independentFirst(g: Graph, from: Value[]): boolean {
  const reached = new Set<Node>();
  const stack: Node[] = from.flatMap((v) => [...v.users]);
  while (stack.length) {
    const n = stack.pop()!;
    if (reached.has(n)) continue;
    reached.add(n);
    for (const o of n.outputs) for (const u of o.users) if (!reached.has(u)) stack.push(u);
  }
  const order = [...g.nodes.filter((n) => !reached.has(n)), ...g.nodes.filter((n) => reached.has(n))];
  const changed = order.some((n, i) => n !== g.nodes[i]);
  g.nodes = order;
  return changed;
}
