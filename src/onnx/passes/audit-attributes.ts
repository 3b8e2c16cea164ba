// Pass (a check, it rewrites nothing): every attribute of every live default-domain node is one this project
// honours (onnx/attributes.ts), else the model is refused in one line naming the op, the node, the attribute and
// its value. Run at load, after the opset upgrade (attributes of older opsets are rewritten there) and dead-code
// removal (a dead node computes nothing). Invariant: a model that passes has no attribute that any of our folding,
// shape inference or gradient rules would ignore.
import { unsupportedAttribute, type AttrTable } from '../attributes.ts';
import type { Graph } from '../ir.ts';

export function auditAttributes(g: Graph, table?: AttrTable): void {
  for (const n of g.nodes) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
    const why = unsupportedAttribute(n.opType, n.name, n.attrs, table);
    if (why) throw new Error(why);
  }
}
