// A stable text form of a graph for snapshot tests and debugging: inputs, initializers (shape only), then one
// line per node in order. Value names are renumbered (%0, %1, …) in order of definition so snapshots do not
// depend on generated names.
import type { Attr, Graph, Value } from './ir.ts';

const fmtShape = (v: Value) => `${v.dtype ?? '?'}[${(v.shape ?? ['?']).join(',')}]`;

function fmtAttr(a: Attr): string {
  switch (a.type) {
    case 'float': return Number.isInteger(a.value) ? `${a.value}.0` : `${a.value}`;
    case 'tensor': return `tensor<${a.value.dtype}[${a.value.shape}]>`;
    case 'graph': return 'graph';
    case 'string': return JSON.stringify(a.value);
    default: return JSON.stringify(a.value);
  }
}

export function printGraph(g: Graph, opts: { keepNames?: boolean } = {}): string {
  const ids = new Map<Value, string>();
  const id = (v: Value | null) => {
    if (!v) return '_';
    let s = ids.get(v);
    if (!s) { s = opts.keepNames ? v.name : `%${ids.size}`; ids.set(v, s); }
    return s;
  };
  const lines: string[] = [];
  for (const v of g.inputs) lines.push(`input ${id(v)}: ${fmtShape(v)}`);
  for (const v of g.initializers().sort((a, b) => (a.name < b.name ? -1 : 1))) lines.push(`init ${id(v)}: ${fmtShape(v)}`);
  for (const n of g.nodes) {
    const attrs = Object.keys(n.attrs).sort().map((k) => `${k}=${fmtAttr(n.attrs[k])}`).join(', ');
    const ins = n.inputs.map(id).join(', ');
    const outs = n.outputs.map((o) => `${id(o)}: ${fmtShape(o)}`).join(', ');
    lines.push(`${outs} = ${n.domain ? n.domain + '.' : ''}${n.opType}(${ins})${attrs ? ` {${attrs}}` : ''}`);
  }
  lines.push(`return ${g.outputs.map(id).join(', ')}`);
  return lines.join('\n');
}
