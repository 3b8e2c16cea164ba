// The opset upgrade keeps what a graph computes: an opset-9 graph with every attribute-that-became-an-input op
// (Slice, Pad, Clip, Squeeze, Unsqueeze, ReduceSum, Split) and an old-semantics Softmax (axis 1 of a 3-D input:
// normalised over the flattened trailing dims) runs in onnxruntime before and after, with the same outputs.
import { describe, expect, it } from 'vitest';
import { createSession, runSession } from '../../runtime/ort-node.ts';
import { Graph, type Attr, type Value } from '../ir.ts';
import { upgradeOpset } from './upgrade-opset.ts';

const ints = (value: number[]): Attr => ({ type: 'ints', value });

function oldGraph(): Graph {
  const g = new Graph();
  g.opsetImports = [{ domain: '', version: 9 }];
  g.irVersion = 4;
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [2, 3, 4, 5]; g.inputs.push(x);
  const out = (name: string): Value => g.value(name);
  g.addNode('Slice', [x], [out('sl')], { starts: ints([1, 0]), ends: ints([3, 5]), axes: ints([1, 3]) });
  g.addNode('Pad', [out('sl')], [out('pad')], { pads: ints([0, 0, 1, 2, 0, 0, 0, 1]), value: { type: 'float', value: 0.5 } });
  g.addNode('Clip', [out('pad')], [out('clip')], { min: { type: 'float', value: -0.3 }, max: { type: 'float', value: 0.4 } });
  g.addNode('ReduceSum', [out('clip')], [out('rs')], { axes: ints([2]), keepdims: { type: 'int', value: 0 } });
  g.addNode('Unsqueeze', [out('rs')], [out('us')], { axes: ints([0]) });
  g.addNode('Squeeze', [out('us')], [out('sq')], { axes: ints([0]) });
  g.addNode('Split', [out('sq')], [out('s1'), out('s2')], { axis: { type: 'int', value: 2 }, split: ints([3, 5]) });
  g.addNode('Softmax', [out('s2')], [out('sm')], { axis: { type: 'int', value: 1 } });
  g.addNode('BatchNormalization', [x, ...['s', 'b', 'm', 'v'].map((k, i) => g.addInitializer(k, { dtype: 'float32', shape: [3], data: new Float32Array([1 + i, 0.5, 0.25 + i]) }))], [out('bn')],
    { epsilon: { type: 'float', value: 1e-5 } });
  g.outputs = [out('s1'), out('sm'), out('bn')];
  return g;
}

describe('upgradeOpset', () => {
  it('turns attributes into inputs and keeps old Softmax semantics: same outputs in onnxruntime', async () => {
    const x = { dtype: 'float32' as const, shape: [2, 3, 4, 5], data: new Float32Array(120).map((_, i) => Math.sin(i * 1.3)) };
    const before = await runSession(await createSession(oldGraph()), { x });
    const g = oldGraph();
    expect(upgradeOpset(g)).toBe(true);
    expect(g.opset).toBe(13);
    for (const n of g.nodes) expect(Object.keys(n.attrs), n.opType).not.toContain('axes');
    const after = await runSession(await createSession(g), { x });
    for (const k of ['s1', 'sm', 'bn']) {
      expect(after[k].shape).toEqual(before[k].shape);
      const a = after[k].data as Float32Array, b = before[k].data as Float32Array;
      for (let i = 0; i < a.length; i++) expect(a[i]).toBeCloseTo(b[i], 6);
    }
  });

  it('refuses what it cannot convert, naming the node', () => {
    const g = oldGraph();
    g.addNode('Upsample', [g.value('x'), g.value('scales')], [g.value('up')], {}, { name: 'up0' });
    expect(() => upgradeOpset(g)).toThrow(/cannot upgrade Upsample 'up0' from opset 9 to 13: Upsample was removed/);
  });
});
