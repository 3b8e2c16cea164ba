// Fan-out sums of zero-pads (merge-pads.ts): a [2, 6] input sliced into pieces along its last axis, each piece
// scaled by its own constant. Its gradient must be exactly those constants where a piece was taken and 0 elsewhere,
// built as one Concat (plus one Pad for what no piece covers) where the pieces follow each other, and left as Pads
// where a gap separates them.
import { describe, expect, it } from 'vitest';
import { Builder } from '../onnx/builder.ts';
import { Graph } from '../onnx/ir.ts';
import { removeDeadNodes } from '../onnx/passes/dce.ts';
import { runGraph } from '../runtime/ort-node.ts';
import { backward } from './backward.ts';
import { slice } from './rules/Slice.ts';

async function gradOf(ranges: [number, number][]) {
  const g = new Graph();
  g.opsetImports = [{ domain: '', version: 17 }];
  const b = new Builder(g, 'f/');
  const x = g.value('x');
  x.dtype = 'float32'; x.shape = [2, 6];
  g.inputs = [x];
  const seeds = ranges.map(([s, e], k) => {
    const piece = slice(b, x, [s], [e], [1]);
    const y = b.mul(piece, b.constF(Array(2 * (e - s)).fill(k + 1), [2, e - s]));
    return { value: y, grad: b.constF(Array(2 * (e - s)).fill(1), [2, e - s]) };
  });
  const dx = backward(g, { seeds, wrt: [x], prefix: 'grad/' }).get(x)!;
  g.outputs = [dx];
  removeDeadNodes(g);   // the merged Pads are dead, as the compiler's dce leaves them
  const ops = g.nodes.filter((n) => n.name.startsWith('grad/') || n.outputs.some((o) => o.name.startsWith('grad/'))).map((n) => n.opType);
  const out = await runGraph(g, { x: { dtype: 'float32', shape: [2, 6], data: new Float32Array(12).map((_, i) => i - 5) } });
  return { ops, dx: Array.from(out[dx.name].data as Float32Array) };
}

describe('merged zero-pad gradients', () => {
  it('pieces that tile the axis: one Concat, no Pad, no Add', async () => {
    const r = await gradOf([[0, 2], [2, 4], [4, 6]]);
    expect(r.dx).toEqual([1, 1, 2, 2, 3, 3, 1, 1, 2, 2, 3, 3]);
    expect(r.ops.filter((o) => o === 'Concat')).toHaveLength(1);
    expect(r.ops.filter((o) => o === 'Pad' || o === 'Add')).toEqual([]);
  });

  it('adjacent pieces that leave the ends uncovered: one Concat padded once', async () => {
    const r = await gradOf([[2, 3], [1, 2], [3, 5]]);
    expect(r.dx).toEqual([0, 2, 1, 3, 3, 0, 0, 2, 1, 3, 3, 0]);
    expect(r.ops.filter((o) => o === 'Concat')).toHaveLength(1);
    expect(r.ops.filter((o) => o === 'Pad')).toHaveLength(1);
    expect(r.ops.filter((o) => o === 'Add')).toEqual([]);
  });

  it('pieces with a gap between them stay padded and summed', async () => {
    const r = await gradOf([[0, 2], [4, 6]]);
    expect(r.dx).toEqual([1, 1, 0, 0, 2, 2, 1, 1, 0, 0, 2, 2]);
    expect(r.ops.filter((o) => o === 'Concat')).toEqual([]);
    expect(r.ops.filter((o) => o === 'Pad')).toHaveLength(2);
  });
});
