// Pass: dead-node removal. Invariant after: every node has an output that reaches a graph output;
// unused initializers and orphan values are dropped. Returns whether anything was removed.
import type { Graph, Node } from '../ir.ts';

export function removeDeadNodes(g: Graph): boolean {
  const live = new Set<Node>();
  const stack = g.outputs.map((v) => v.producer).filter((p): p is Node => !!p);
  while (stack.length) {
    const n = stack.pop()!;
    if (live.has(n)) continue;
    live.add(n);
    for (const v of n.inputs) if (v?.producer && !live.has(v.producer)) stack.push(v.producer);
  }
  const before = g.nodes.length;
  for (const n of [...g.nodes]) if (!live.has(n)) g.removeNode(n);
  const nValues = g.values.size;
  g.pruneValues();
  return g.nodes.length !== before || g.values.size !== nValues;
}
