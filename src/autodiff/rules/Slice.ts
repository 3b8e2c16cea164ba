// Slice: y = x[s₀ : e₀ : k₀, …] on the listed axes (ONNX clamping, see shapes.sliceRange). Then
//   step 1:      dx = Pad(dy, zeros before = first index, after = D − first − count) — one Pad for all such axes;
//   step k ≠ 1:  dx = Mᵀ·dy along that axis with the constant one-hot M[j, first + j·k] = 1 (count × D),
//                so negative steps work too; no scatter ops. starts/ends/axes/steps are not differentiable.
// Also exports `slice`, the opset-aware emitter the other structure rules use.
import type { Builder } from '../../onnx/builder.ts';
import type { Value } from '../../onnx/ir.ts';
import { constInts, normAxis, sliceRange } from '../../onnx/shapes.ts';
import type { RuleSpec } from '../types.ts';
import { oneHotAlong } from './Gather.ts';
import { pad } from './Pad.ts';

/** Emits Slice (inputs from opset 10, attributes before; steps other than 1 need opset 10). */
export function slice(b: Builder, x: Value, starts: number[], ends: number[], axes: number[], steps?: number[]): Value {
  if (b.g.opset >= 10) {
    const extra = steps && steps.some((s) => s !== 1) ? [b.constI64(steps)] : [];
    return b.op('Slice', [x, b.constI64(starts), b.constI64(ends), b.constI64(axes), ...extra]);
  }
  if (steps?.some((s) => s !== 1)) throw new Error(`Slice with steps [${steps}] needs opset 10 (graph has ${b.g.opset})`);
  return b.op('Slice', [x], { starts, ends, axes });
}

export const rule: RuleSpec = {
  op: 'Slice',
  nondiff: [1, 2, 3, 4],
  grad: ({ b, node, I, GO, opset }) => {
    const dims = I(0).dims, rank = dims.length;
    const param = (i: number, attr: string, what: string): number[] | undefined => {
      if (opset < 10) return node.attrs[attr] ? node.attrInts(attr) : undefined;
      if (!node.hasInput(i)) return undefined;
      const c = constInts(node.input(i));
      if (!c) throw new Error(`Slice '${node.name}' gradient: ${what} must be a constant`);
      return c;
    };
    const starts = param(1, 'starts', 'starts')!, ends = param(2, 'ends', 'ends')!;
    const axes = param(3, 'axes', 'axes') ?? starts.map((_, j) => j);
    const steps = param(4, '', 'steps') ?? starts.map(() => 1);
    let g = GO(0)!;
    const pads = Array(2 * rank).fill(0);
    axes.forEach((a0, j) => {
      const a = normAxis(a0, rank), d = dims[a];
      const { start, count } = sliceRange(d, starts[j], ends[j], steps[j]);
      if (steps[j] === 1) { pads[a] = start; pads[a + rank] = d - start - count; return; }
      const mt = new Float32Array(d * count); // Mᵀ[row, j] = 1 where row = start + j·step
      for (let k = 0; k < count; k++) mt[(start + k * steps[j]) * count + k] = 1;
      g = oneHotAlong(b, g, a, b.constF(mt, [d, count], 'slice_onehot'));
    });
    return [pad(b, g, pads)];
  },
};
