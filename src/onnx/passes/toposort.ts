// Pass: topological sort. Invariant after: every node comes after the producers of its inputs; the original
// order is kept wherever it was already valid (stable Kahn). Throws naming a node on a cycle.
import type { Graph, Node } from '../ir.ts';

export function toposort(g: Graph): boolean {
  const index = new Map<Node, number>(g.nodes.map((n, i) => [n, i]));
  const pending = new Map<Node, number>();
  const ready: Node[] = [];
  for (const n of g.nodes) {
    const deps = new Set(n.inputs.map((v) => v?.producer).filter((p): p is Node => !!p && index.has(p)));
    pending.set(n, deps.size);
    if (deps.size === 0) ready.push(n);
  }
  const out: Node[] = [];
  // a min-heap would be faster; graphs here have at most a few thousand nodes
  while (ready.length) {
    let best = 0;
    for (let i = 1; i < ready.length; i++) if (index.get(ready[i])! < index.get(ready[best])!) best = i;
    const n = ready.splice(best, 1)[0];
    out.push(n);
    const seen = new Set<Node>();
    for (const o of n.outputs) for (const u of o.users) {
      if (seen.has(u) || !pending.has(u)) continue;
      seen.add(u);
      const left = pending.get(u)! - 1;
      pending.set(u, left);
      if (left === 0) ready.push(u);
    }
  }
  if (out.length !== g.nodes.length) {
    const stuck = g.nodes.find((n) => !out.includes(n))!;
    throw new Error(`graph has a cycle through ${stuck.opType} '${stuck.name}'`);
  }
  const changed = out.some((n, i) => n !== g.nodes[i]);
  g.nodes = out;
  return changed;
}
