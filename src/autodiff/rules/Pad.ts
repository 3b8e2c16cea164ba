// Pad (constant mode): y = x surrounded by p_b zeros (or a constant) before and p_e after each axis; negative pads
// crop. Then dx = dy cropped back: Slice from max(p_b, 0) to len − max(p_e, 0), followed by zero padding where the
// forward cropped. reflect / edge / wrap modes are refused (their adjoint folds the border back in).
// pads / constant_value / axes are not differentiable. Also exports `pad`, the opset-aware emitter.
import { f, type Builder } from '../../onnx/builder.ts';
import type { Value } from '../../onnx/ir.ts';
import { constInts, normAxis } from '../../onnx/shapes.ts';
import type { RuleSpec } from '../types.ts';
import { slice } from './Slice.ts';

/** Emits a constant-mode Pad (pads as an input from opset 11, attribute before); a no-op when all pads are 0. */
export function pad(b: Builder, x: Value, pads: number[], value = 0): Value {
  if (pads.every((p) => p === 0)) return x;
  if (b.g.opset >= 11) return b.op('Pad', [x, b.constI64(pads), b.scalar(value, x.dtype)], { mode: 'constant' });
  return b.op('Pad', [x], { pads, value: f(value), mode: 'constant' });
}

export const rule: RuleSpec = {
  op: 'Pad',
  nondiff: [1, 2, 3],
  grad: ({ b, node, I, GO, opset }) => {
    const mode = node.attrString('mode', 'constant');
    if (mode !== 'constant') throw new Error(`Pad '${node.name}' gradient: mode '${mode}' is not supported (only 'constant')`);
    const dims = I(0).dims, rank = dims.length, dy = GO(0)!, out = dy.dims;
    let pads: number[];
    if (opset >= 11) {
      const p = constInts(node.inputs[1]);
      if (!p) throw new Error(`Pad '${node.name}' gradient: pads must be a constant`);
      pads = p;
      if (opset >= 18 && node.hasInput(3)) {
        const ax = constInts(node.input(3));
        if (!ax) throw new Error(`Pad '${node.name}' gradient: axes must be a constant`);
        const full = Array(2 * rank).fill(0);
        ax.forEach((a0, j) => { const a = normAxis(a0, rank); full[a] = p[j]; full[a + rank] = p[j + ax.length]; });
        pads = full;
      }
    } else pads = node.attrInts('pads');
    const axes = [...dims.keys()];
    const starts = axes.map((a) => Math.max(pads[a], 0));
    const ends = axes.map((a) => out[a] - Math.max(pads[a + rank], 0));
    const cropped = axes.some((a) => starts[a] !== 0 || ends[a] !== out[a]) ? slice(b, dy, starts, ends, axes) : dy;
    const back = [...axes.map((a) => Math.max(-pads[a], 0)), ...axes.map((a) => Math.max(-pads[a + rank], 0))];
    return [pad(b, cropped, back)];
  },
};
