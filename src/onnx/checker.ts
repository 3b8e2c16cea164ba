// The graph checker: SSA (one producer per value), topological order, no dangling names, links consistent
// (producer/users agree with node inputs/outputs). Returns a list of problems; `assertValid` throws the first.
import type { Graph, Value } from './ir.ts';

export function checkGraph(g: Graph): string[] {
  const problems: string[] = [];
  const defined = new Set<Value>([...g.inputs, ...g.initializers()]);
  const produced = new Set<Value>();
  for (const n of g.nodes) {
    n.inputs.forEach((v, i) => {
      if (!v) return;
      if (!defined.has(v)) problems.push(`${n.opType} '${n.name}' input ${i} '${v.name}' is ${v.producer ? 'used before it is produced' : 'never defined'}`);
      if (!v.users.has(n)) problems.push(`value '${v.name}' does not list its user '${n.name}'`);
      if (g.values.get(v.name) !== v) problems.push(`value '${v.name}' is not registered in the graph`);
    });
    for (const o of n.outputs) {
      if (produced.has(o) || (defined.has(o) && !produced.has(o))) problems.push(`value '${o.name}' is defined twice (SSA)`);
      if (o.producer !== n) problems.push(`value '${o.name}' does not name '${n.name}' as its producer`);
      produced.add(o);
      defined.add(o);
    }
  }
  for (const o of g.outputs) if (!defined.has(o)) problems.push(`graph output '${o.name}' is never defined`);
  const names = new Set<string>();
  for (const n of g.nodes) {
    if (names.has(n.name)) problems.push(`node name '${n.name}' is used twice`);
    names.add(n.name);
  }
  return problems;
}

export function assertValid(g: Graph): void {
  const p = checkGraph(g);
  if (p.length) throw new Error(`invalid graph: ${p[0]}${p.length > 1 ? ` (and ${p.length - 1} more)` : ''}`);
}
