// Pass: canonicalisation for inference graphs. Constant nodes become initializers; Identity and Dropout
// (inference: output = input, mask unused) are bypassed. Invariant after: none of those three op types remain,
// except an Identity that maps a graph input straight to a graph output.
import type { Graph } from '../ir.ts';
import { fromNumbers } from '../tensor.ts';

export function canonicalize(g: Graph): boolean {
  let changed = false;
  for (const n of [...g.nodes]) {
    if (n.opType === 'Constant' && n.domain === '') {
      const a = n.attrs;
      const t = n.attrTensor('value')
        ?? (a.value_float?.type === 'float' ? fromNumbers('float32', [], [a.value_float.value]) : undefined)
        ?? (a.value_int?.type === 'int' ? fromNumbers('int64', [], [a.value_int.value]) : undefined)
        ?? (a.value_floats?.type === 'floats' ? fromNumbers('float32', [a.value_floats.value.length], a.value_floats.value) : undefined)
        ?? (a.value_ints?.type === 'ints' ? fromNumbers('int64', [a.value_ints.value.length], a.value_ints.value) : undefined);
      if (!t) throw new Error(`Constant '${n.name}': unsupported value attribute (${Object.keys(a).join(', ')})`);
      const out = n.outputs[0];
      g.removeNode(n);
      out.constant = t; out.dtype = t.dtype; out.shape = [...t.shape];
      changed = true;
      continue;
    }
    const bypass = n.domain === '' && (n.opType === 'Identity' || (n.opType === 'Dropout' && (!n.outputs[1] || n.outputs[1].users.size === 0)));
    if (!bypass) continue;
    const x = n.input(0), y = n.outputs[0];
    if (g.outputs.includes(y) && (g.inputs.includes(x) || g.outputs.includes(x) || x.constant)) continue;
    g.removeNode(n);
    if (g.outputs.includes(y)) {
      // keep the graph output's name: rename the input's producer output instead
      const p = x.producer!;
      p.outputs[p.outputs.indexOf(x)] = y;
      y.producer = p;
      x.producer = null;
      g.replaceAllUses(x, y);
      y.dtype ??= x.dtype; y.shape ??= x.shape;
    } else {
      g.replaceAllUses(y, x);
    }
    changed = true;
  }
  if (changed) g.pruneValues();
  return changed;
}
