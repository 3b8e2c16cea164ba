// Fan-out sums of zero-pads become one Concat. The gradient of a Slice (and of a constant-index Gather, a Split's
// output) is its output gradient zero-padded back to the input's size; a tensor sliced into pieces — a ViT's packed
// q/k/v projection taken apart into three — then gets its gradient as Pad + Pad + Pad summed with two Adds, each a
// full pass over the packed tensor (ViT-B/16: 36 Pads and 24 Adds of [197, B, 2304] per step, ~4 % of a CPU step).
// When some of the summed contributions are fresh zero Pads along one and the same axis whose kept ranges follow
// each other with no gap, they are replaced by one Concat of the unpadded pieces, padded once for what is left.
// Invariants: the sum's value is unchanged (x + 0 = x; only the sign of a zero may differ); only Pad nodes this
// backward pass just made and nothing else reads are merged; the merged Pads become dead (removed by dce).
import type { Builder } from '../onnx/builder.ts';
import type { Value } from '../onnx/ir.ts';
import { constInts } from '../onnx/shapes.ts';
import { pad } from './rules/Pad.ts';

interface Piece { v: Value; inner: Value; axis: number; begin: number; end: number }

/** The contribution as a zero Pad along exactly one axis, or undefined. */
function asPiece(v: Value): Piece | undefined {
  const n = v.producer;
  if (!n || n.opType !== 'Pad' || v.users.size > 0 || n.attrString('mode', 'constant') !== 'constant') return undefined;
  const pads = n.inputs.length > 1 ? constInts(n.inputs[1]) : n.attrInts('pads', []);
  const zero = n.inputs.length > 2 && n.inputs[2] ? constInts(n.inputs[2]) : [n.attrFloat('value', 0)];
  if (!pads || !zero || zero.some((z) => z !== 0) || (n.inputs.length > 3 && n.inputs[3])) return undefined;
  const rank = pads.length / 2;
  const axes = Array.from({ length: rank }, (_, a) => a).filter((a) => pads[a] !== 0 || pads[a + rank] !== 0);
  if (axes.length !== 1 || pads.some((p) => p < 0)) return undefined;
  const axis = axes[0], inner = n.input(0);
  return { v, inner, axis, begin: pads[axis], end: pads[axis] + inner.dims[axis] };
}

/** `list` with every run of two or more adjacent zero-pad pieces (same axis) replaced by one padded Concat. */
export function mergePads(b: Builder, list: Value[]): Value[] {
  if (list.length < 2) return list;
  const pieces = list.map(asPiece);
  const byAxis = new Map<number, Piece[]>();
  for (const p of pieces) if (p) byAxis.set(p.axis, [...(byAxis.get(p.axis) ?? []), p]);
  const merged = new Set<Value>(), out: Value[] = [];
  for (const [axis, ps] of byAxis) {
    ps.sort((x, y) => x.begin - y.begin);
    let run: Piece[] = [];
    const flush = () => {
      if (run.length >= 2) {
        const full = run[0].v.dims[axis], rank = run[0].v.dims.length;
        const cat = b.op('Concat', run.map((p) => p.inner), { axis }, 'pads_concat');
        const pads = Array(2 * rank).fill(0);
        pads[axis] = run[0].begin;
        pads[axis + rank] = full - run[run.length - 1].end;
        out.push(pad(b, cat, pads));
        for (const p of run) merged.add(p.v);
      }
      run = [];
    };
    for (const p of ps) {
      if (run.length && run[run.length - 1].end !== p.begin) flush();
      run.push(p);
    }
    flush();
  }
  return merged.size ? [...out, ...list.filter((v) => !merged.has(v))] : list;
}
