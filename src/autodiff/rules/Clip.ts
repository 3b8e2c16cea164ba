// Clip: y = min(max(x, lo), hi)  →  dx = dy where lo < x < hi, 0 elsewhere.
// Bounds are optional inputs 1, 2 from opset 11 (attributes min/max before) and are not differentiated.
// Convention: STRICT inequalities, i.e. zero gradient exactly at a bound — PyTorch's hardtanh/relu6 backward,
// which is how MobileNetV2's ReLU6 reaches ONNX as Clip(0, 6) (checked against torch 1.13: relu6'(0) = relu6'(6)
// = 0). torch.clamp's own backward is inclusive (gradient 1 at the bounds); the two differ only at the bounds.
// Nested Where instead of And keeps to ops every WebGPU EP has.
import type { Value } from '../../onnx/ir.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Clip',
  nondiff: [1, 2],
  grad: ({ b, node, opset, I, GO }) => {
    const x = I(0), zero = b.scalar(0, x.dtype);
    let lo: Value | null = null, hi: Value | null = null;
    if (opset >= 11) {
      lo = node.inputs[1] ?? null;
      hi = node.inputs[2] ?? null;
    } else {
      if (node.attrs.min) lo = b.scalar(node.attrFloat('min'), x.dtype);
      if (node.attrs.max) hi = b.scalar(node.attrFloat('max'), x.dtype);
    }
    let g = GO(0)!;
    if (hi) g = b.op('Where', [b.op('Less', [x, hi]), g, zero]);
    if (lo) g = b.op('Where', [b.op('Greater', [x, lo]), g, zero]);
    return [g, null, null];
  },
};
