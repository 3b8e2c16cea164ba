// Re-batching a batch-1 export: a timm-Swin-like window attention (the batch merged with the window count in
// Reshape constants, [1,2,2,2,2,C] → [4,2,2,C] = B·nW, and split again for the stored mask [-1,nW,nH,N,N]) re-batched
// to 3 computes, row by row, what the file computes at its own batch (onnxruntime-node); a graph that truly mixes the
// batch with another axis is refused in one line naming the node and saying what runs instead, and loading says so.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../runtime/ort-node.ts';
import { loadBackbone } from '../backbone.ts';
import { Builder, f } from '../builder.ts';
import { encodeModel } from '../codec.ts';
import { Graph, type Value } from '../ir.ts';
import { printGraph } from '../printer.ts';
import type { Tensor } from '../tensor.ts';
import { RebatchError, rebatch, rebatchRefusal } from './rebatch.ts';

function rand(shape: number[], seed: number): Tensor {
  const n = shape.reduce((a, c) => a * c, 1), data = new Float32Array(n);
  let st = seed;
  for (let i = 0; i < n; i++) { st = (st * 1103515245 + 12345) % 2147483648; data[i] = st / 2147483648 - 0.5; }
  return { dtype: 'float32', shape, data };
}

function graphWith(shape: number[], body: (b: Builder, x: Value) => Value): Graph {
  const g = new Graph();
  const x = g.value('x'); x.dtype = 'float32'; x.shape = shape;
  g.inputs = [x];
  g.outputs = [body(new Builder(g), x)];
  return g;
}

/** timm Swin's shifted-window attention on an NHWC [1,4,4,C] map: window 2 (nW = 4, N = 4), one head. */
const C = 2;
const swinBlock = (b: Builder, x: Value): Value => {
  const win = b.reshape(b.transpose(b.reshape(x, [1, 2, 2, 2, 2, C]), [0, 1, 3, 2, 4, 5]), [4, 2, 2, C]);
  const seq = b.reshape(win, [-1, 4, C]);
  const qkv = b.transpose(b.reshape(b.op('MatMul', [seq, b.const(rand([C, 3 * C], 1))]), [4, 4, 3, 1, C]), [2, 0, 3, 1, 4]);
  const [q, k, v] = b.opN('Split', [qkv, b.constI64([1, 1, 1])], 3, { axis: 0 }).map((t) => b.squeeze(t, [0]));
  const scores = b.op('MatMul', [q, b.transpose(k, [0, 1, 3, 2])]);
  const masked = b.add(b.reshape(scores, [-1, 4, 1, 4, 4]), b.const(rand([1, 4, 1, 4, 4], 2)));
  const attn = b.op('Softmax', [b.reshape(masked, [-1, 1, 4, 4])], { axis: -1 });
  const o = b.reshape(b.transpose(b.op('MatMul', [attn, v]), [0, 2, 1, 3]), [4, 4, C]);
  const back = b.reshape(b.transpose(b.reshape(b.reshape(o, [-1, 2, 2, C]), [-1, 2, 2, 2, 2, C]), [0, 1, 3, 2, 4, 5]), [1, 4, 4, C]);
  const tokens = b.reshape(b.add(back, x), [1, -1, C]);
  return b.op('ReduceMean', [b.op('LayerNormalization', [tokens, b.constF([1.5, 0.5]), b.constF([0.1, -0.1])], { axis: -1, epsilon: f(1e-5) })], { axes: [1], keepdims: 0 });
};

/** A channel mean taken across the batch once it is > 1 ([C,B,H,W] → [C, B·H·W] → mean over axis 1): at batch 1 a
 * plain global average pool, and nothing per image can express it at another batch. */
const mixesBatch = (b: Builder, x: Value): Value => {
  const h = b.op('Relu', [b.op('Conv', [x, b.const(rand([4, 3, 3, 3], 3)), b.const(rand([4], 4))], { pads: [1, 1, 1, 1] })]);
  const flat = b.transpose(b.reshape(b.transpose(h, [1, 0, 2, 3]), [4, 64]), [1, 0]);
  const pooled = b.op('ReduceMean', [flat], { axes: [0], keepdims: 1 });
  return b.op('Gemm', [pooled, b.const(rand([10, 4], 5)), b.const(rand([10], 6))], { transB: 1 });
};

describe('rebatch', () => {
  it('re-batches the batch merged with the window count (B·nW) and back: each row equals the batch-1 graph', async () => {
    const g3 = graphWith([1, 4, 4, C], swinBlock);
    expect(rebatchRefusal(graphWith([1, 4, 4, C], swinBlock))).toBeUndefined();
    expect(rebatch(g3, 3)).toBe(true);
    expect(g3.inputs[0].dims).toEqual([3, 4, 4, C]);
    // the merged dims were rewritten to 3·nW, the split ones to [3, nW, …]
    const targets = g3.nodes.filter((n) => n.opType === 'Reshape').map((n) => [...(n.input(1).constant!.data as BigInt64Array)].map(Number));
    expect(targets).toContainEqual([12, 2, 2, C]);
    expect(targets).toContainEqual([3, 4, 1, 4, 4]);
    const x = rand([3, 4, 4, C], 7), per = 4 * 4 * C;
    const y3 = (await runGraph(g3, { x }))[g3.outputs[0].name].data as Float32Array;
    const g1 = graphWith([1, 4, 4, C], swinBlock);
    for (let i = 0; i < 3; i++) {
      const row = (await runGraph(g1, { x: { dtype: 'float32', shape: [1, 4, 4, C], data: (x.data as Float32Array).slice(i * per, (i + 1) * per) } }))[g1.outputs[0].name].data as Float32Array;
      for (let c = 0; c < C; c++) expect(Math.abs(y3[i * C + c] - row[c])).toBeLessThan(1e-6);
    }
  });

  it('refuses a graph that mixes the batch with another axis in one line naming the node, saying what runs instead', () => {
    const g = graphWith([1, 3, 8, 8], mixesBatch);
    const before = printGraph(g);
    let err: unknown;
    try { rebatch(g, 4); } catch (e) { err = e; }
    expect(err).toBeInstanceOf(RebatchError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/^cannot re-batch this backbone \(exported with a fixed batch of 1\): cannot re-specialise Reshape '[^']+': factors left over; it runs one image at a time, as training and evaluation do by themselves \(micro-batches of 1, gradients accumulated\)$/);
    expect(msg).not.toMatch(/--batch-size/);
    expect(printGraph(g)).toBe(before);
    expect(rebatchRefusal(graphWith([1, 3, 8, 8], mixesBatch))).toMatch(/^cannot re-specialise Reshape '[^']+': factors left over$/);
  });

  it('loading says whether the fixed batch is re-specialised or runs as micro-batches', () => {
    const notes = (body: (b: Builder, x: Value) => Value, shape: number[]) => loadBackbone(encodeModel(graphWith(shape, body))).notes.join('\n');
    expect(notes(mixesBatch, [1, 3, 8, 8])).toMatch(/fixed batch 1 in the file cannot be re-specialised \(cannot re-specialise Reshape '[^']+': factors left over\): batches run as micro-batches of 1, gradients accumulated/);
    expect(notes(mixesBatch, [1, 3, 8, 8])).not.toMatch(/re-specialised to each batch size/);
  });
});
