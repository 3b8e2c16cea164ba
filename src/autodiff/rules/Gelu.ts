// Gelu (opset 20), attribute approximate = 'none' | 'tanh'.
//  exact:  y = x·Φ(x), Φ(x) = ½(1 + erf(x/√2))  →  dx = dy · (Φ(x) + x·φ(x)),  φ(x) = e^(−x²/2) / √(2π)
//  tanh:   y = ½x(1 + t), t = tanh(u), u = k(x + c·x³), k = √(2/π), c = 0.044715
//          →  dx = dy · (½(1 + t) + ½x·(1 − t²)·k·(1 + 3c·x²))   (the formula torch's gelu_backward uses)
// The exact form is built in 10 elementwise kernels from x alone (h = x/√2; the constant of erf′ inside the Exp):
//   2(Φ(x) + x·φ(x)) = 1 + erf(h) + h·e^(ln(2/√π) − h·h),  dx = dy · that · ½
// (the chain rule through the exporters' five-node chain took 9 kernels on top of that chain's own 5, and kept its
// intermediates alive; onnx/passes/fuse-gelu.ts turns such chains into one Gelu so this rule applies).
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Gelu',
  grad: ({ b, node, I, GO }) => {
    const x = I(0), dy = GO(0)!;
    const s = (v: number) => b.scalar(v, x.dtype);
    const approx = node.attrString('approximate', 'none');
    if (approx === 'tanh') {
      const x2 = b.mul(x, x);
      const k = Math.sqrt(2 / Math.PI), c = 0.044715;
      const u = b.mul(b.mul(x, b.add(s(1), b.mul(x2, s(c)))), s(k));
      const t = b.op('Tanh', [u]);
      const left = b.mul(b.add(s(1), t), s(0.5));
      const du = b.mul(b.add(s(1), b.mul(x2, s(3 * c))), s(k));
      const right = b.mul(b.mul(b.mul(x, s(0.5)), b.sub(s(1), b.mul(t, t))), du);
      return [b.mul(dy, b.add(left, right))];
    }
    if (approx !== 'none') throw new Error(`Gelu '${node.name}': unknown approximate='${approx}'`);
    const h = b.mul(x, s(Math.SQRT1_2));
    const e = b.op('Exp', [b.sub(s(Math.log(2 / Math.sqrt(Math.PI))), b.mul(h, h))]);   // (2/√π)·e^(−h²): erf′(h)
    const twice = b.add(b.add(b.op('Erf', [h]), b.mul(h, e)), s(1));   // no variadic Sum: WebGPU-safe
    return [b.mul(b.mul(dy, twice), s(0.5))];
  },
};
