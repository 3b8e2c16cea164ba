// Dropout. Inference (opset < 12, or training_mode absent / constant false): y = x  →  dx = dy.
// Training mode (opset ≥ 12, training_mode a constant true): y = x · mask / (1 − r)  →  dx = dy · mask / (1 − r),
// read from the node's own mask output so forward and backward agree; the ratio r must then be a constant.
// ratio and training_mode are not differentiable.
import { constInts } from '../../onnx/shapes.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Dropout',
  nondiff: [1, 2],
  grad: ({ b, node, opset, I, O, GO }) => {
    const dy = GO(0);
    if (!dy) return [null];
    let training = false;
    if (opset >= 12 && node.hasInput(2)) {
      const t = constInts(node.inputs[2]);
      if (!t) throw new Error(`Dropout '${node.name}': training_mode must be a constant to differentiate`);
      training = t[0] !== 0;
    }
    if (!training) return [dy];
    const r = node.hasInput(1) ? constInts(node.inputs[1]) : [0.5];
    if (!r) throw new Error(`Dropout '${node.name}': ratio must be a constant in training mode`);
    if (r[0] === 0) return [dy];
    if (node.outputs.length < 2) throw new Error(`Dropout '${node.name}': training mode needs the mask output`);
    const scaled = b.mul(dy, b.scalar(1 / (1 - r[0]), I(0).dtype));
    return [b.op('Where', [O(1), scaled, b.scalar(0, I(0).dtype)])];
  },
};
