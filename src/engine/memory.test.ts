// The memory estimator on hand-built graphs whose peaks are worked out by hand (1 KiB = one [256] float32
// tensor), on real compiled train steps (linear in the batch, above the forward-only graph), and the
// micro-batch choice on synthetic estimates.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Builder, tensorAttr } from '../onnx/builder.ts';
import { Graph, type Value } from '../onnx/ir.ts';
import { fromNumbers } from '../onnx/tensor.ts';
import { compileEval, compileTrainStep, describeBackbone, initParams } from './compile.ts';
import { DEFAULTS, type TrainConfig } from './config.ts';
import { chooseMicroBatch, estimateMemory, formatBytes, onnxruntimeOrder } from './memory.ts';

const K = 1024;

/** A graph with one float32 input x of shape [256] (1 KiB); `build` returns the graph outputs. */
function graph(build: (b: Builder, x: Value) => Value[]): Graph {
  const g = new Graph();
  const x = g.value('x');
  x.dtype = 'float32';
  x.shape = [256];
  g.inputs.push(x);
  g.outputs = build(new Builder(g), x);
  return g;
}

describe('estimateMemory on hand-built graphs', () => {
  it('a chain frees each activation after its last reader', () => {
    // Relu: A (1) · Neg: A+B (2), A freed · Exp: B+C (2), B freed
    const g = graph((b, x) => [b.op('Exp', [b.neg(b.op('Relu', [x]))])]);
    expect(estimateMemory(g)).toMatchObject({ inputBytes: K, weightBytes: 0, peakActivationBytes: 2 * K, peakBytes: 3 * K, largestTensorBytes: K });
  });

  it('a fan-out keeps its value alive until the last reader', () => {
    // Relu: A (1) · Neg: A+B (2) · Exp: A+B+C (3), B freed · Add: A+C+D (3)
    const g = graph((b, x) => { const a = b.op('Relu', [x]); return [b.add(a, b.op('Exp', [b.neg(a)]))]; });
    expect(estimateMemory(g).peakActivationBytes).toBe(3 * K);
  });

  it('a reshape costs nothing but keeps its source alive while the view is read', () => {
    // Relu: A (1) · Reshape: R is A (1) · Exp: A+B (2) · Neg: A+B+D (3), B freed · Add(R, D): A+D+C (3)
    const late = graph((b, x) => { const r = b.reshape(b.op('Relu', [x]), [1, 256]); return [b.add(r, b.neg(b.op('Exp', [x])))]; });
    expect(estimateMemory(late).peakActivationBytes).toBe(3 * K); // 2 KiB if A were freed at the Reshape
    // Relu: A (1) · Reshape: R is A (1) · Add(A, R): A+C (2) — a copying reshape would make it 3
    const both = graph((b, x) => { const a = b.op('Relu', [x]); return [b.add(a, b.reshape(a, [1, 256]))]; });
    expect(estimateMemory(both).peakActivationBytes).toBe(2 * K);
    expect(estimateMemory(both).weightBytes).toBe(16); // the int64 [2] target shape
  });

  it('graph outputs (and the buffers behind views that are outputs) are never freed', () => {
    // Relu: A (1, an output via Identity) · Neg: A+B (2) · Exp: A+B+C (3), B freed
    const g = graph((b, x) => { const a = b.op('Relu', [x]); return [b.op('Identity', [a]), b.op('Exp', [b.neg(a)])]; });
    expect(estimateMemory(g).peakActivationBytes).toBe(3 * K);
    // without the output, A would be freed after Neg: the peak is 2
    const h = graph((b, x) => [b.op('Exp', [b.neg(b.op('Relu', [x]))])]);
    expect(estimateMemory(h).peakActivationBytes).toBe(2 * K);
  });

  it('counts weights as onnxruntime holds them after constant folding, and names the largest tensor', () => {
    const zeros = (n: number) => fromNumbers('float32', [n], new Float32Array(n));
    const g = graph((b, x) => {
      b.const(zeros(1000), 'unused'); // read by nobody: not counted
      const w = b.const(zeros(256), 'w'); // read by Mul: 1 KiB
      const v = b.const(zeros(256), 'v'); // read only by the folded Add: dropped
      const c = b.op('Constant', [], { value: tensorAttr(zeros(128)) }); // 0.5 KiB
      const folded = b.neg(b.add(w, v)); // Add(w, v) and Neg fold; Neg's output is read by Add(p, ·): 1 KiB
      const p = b.mul(x, w); // p (1)
      const [h0] = b.opN('Split', [b.add(p, folded)], 2); // Add: p+q (2), p freed · Split: q+h0+h1 (2), q and the unread h1 freed
      return [b.op('Concat', [h0, h0, b.add(h0, c)], { axis: 0 }, 'cat')]; // Add: h0+S (1) · Concat: h0+S+cat (2.5)
    });
    const e = estimateMemory(g);
    expect(e).toMatchObject({ weightBytes: 2.5 * K, inputBytes: K, peakActivationBytes: 2.5 * K, largestTensorBytes: 1.5 * K });
    expect(e.largestTensor).toMatch(/^cat/);
  });

  it('throws naming a value whose shape is not static', () => {
    const g = graph((b, x) => [b.op('Relu', [x])]);
    g.inputs[0].shape = ['N', 256];
    g.outputs[0].shape = ['N', 256];
    expect(() => estimateMemory(g)).toThrow(/memory estimate: shape of 'x' is not static/);
  });

  it('simulates onnxruntime\'s order: of two inputs, the producer written earlier runs later', () => {
    // file order: Concat(x, x, x, x) → Exp → Split (4 KiB each), then Relu → Neg → Sigmoid (1 KiB), Mul(Sigmoid, Split)
    // onnxruntime visits the later-written input (Sigmoid) first, so the Relu chain runs first and Exp just before its user
    const g = graph((b, x) => {
      const [a0] = b.opN('Split', [b.op('Exp', [b.op('Concat', [x, x, x, x], { axis: 0 })])], 4, { axis: 0 });
      const r = b.op('Sigmoid', [b.neg(b.op('Relu', [x]))]);
      return [b.mul(r, a0)];
    });
    expect(g.nodes.map((n) => n.opType)).toEqual(['Concat', 'Exp', 'Split', 'Relu', 'Neg', 'Sigmoid', 'Mul']);
    expect(onnxruntimeOrder(g).map((n) => n.opType)).toEqual(['Relu', 'Neg', 'Sigmoid', 'Concat', 'Exp', 'Split', 'Mul']);
    // so the Sigmoid's output (1) is alive while Exp runs (Concat 4 + Exp 4): 9 KiB; the file's order would peak at 8
    expect(estimateMemory(g).peakActivationBytes).toBe(9 * K);
  });
});

describe('estimateMemory on compiled graphs', () => {
  const FIX = join(import.meta.dirname, '../../tests/fixtures/train/backbones');
  const c: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp' };
  for (const name of ['resnet', 'vit']) {
    it(`a ${name} train step grows linearly with the batch and needs more than its forward pass`, () => {
      const bytes = new Uint8Array(readFileSync(join(FIX, `${name}.onnx`)));
      const params = initParams(c, describeBackbone(bytes).info, 3);
      const [s4, s8] = [4, 8].map((batch) => estimateMemory(compileTrainStep(bytes, c, 3, batch, params).graph));
      const ev8 = estimateMemory(compileEval(bytes, c, 3, 8, params).graph);
      const ratio = s8.peakActivationBytes / s4.peakActivationBytes;
      expect(ratio).toBeGreaterThan(1.6);
      expect(ratio).toBeLessThan(2.2);
      expect(s8.peakBytes).toBeGreaterThan(ev8.peakBytes);
      expect(s8.peakActivationBytes).toBeGreaterThan(ev8.peakActivationBytes);
      expect(s8.largestTensorBytes).toBeLessThanOrEqual(s8.peakActivationBytes);
    });
  }
});

describe('chooseMicroBatch', () => {
  const counted = (f: (m: number) => number) => {
    const calls: number[] = [];
    return { calls, at: (m: number) => { calls.push(m); return f(m); } };
  };
  const linear = (m: number) => 100 + 10 * m;

  it('keeps the whole batch when it fits', () => {
    const e = counted(linear);
    expect(chooseMicroBatch(e.at, 32, 420)).toBe(32);
    expect(e.calls).toEqual([32]);
  });

  it('interpolates, prefers a divisor with the fewest micro-steps, else the least padding', () => {
    const e = counted(linear);
    expect(chooseMicroBatch(e.at, 32, 200)).toBe(8); // fits m ≤ 10 → 4 steps → 8
    expect(e.calls).toEqual([32, 1, 8]);
    expect(chooseMicroBatch(linear, 32, 250)).toBe(11); // fits m ≤ 15 → 3 steps; no divisor does it in 3
    expect(chooseMicroBatch(linear, 31, 250)).toBe(11);
    expect(chooseMicroBatch(linear, 32, 111)).toBe(1);
  });

  it('steps down when the interpolation overshoots a concave estimate', () => {
    const e = counted((m) => 1000 * Math.sqrt(m)); // linear guess: m ≤ 14 → 3 steps → 11, which is over
    expect(chooseMicroBatch(e.at, 32, 3000)).toBe(8);
    expect(e.calls).toEqual([32, 1, 11, 8]);
  });

  it('throws naming the budget and the estimate at micro-batch 1 when nothing fits', () => {
    expect(() => chooseMicroBatch(() => 2 * 1024 ** 3, 32, 1024 ** 3)).toThrow('memory budget 1.00 GiB is below the estimated peak at micro-batch 1 (2.00 GiB)');
  });
});

describe('formatBytes', () => {
  it('uses binary units', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.50 KiB');
    expect(formatBytes(3 * 1024 ** 2)).toBe('3.00 MiB');
    expect(formatBytes(1288490189)).toBe('1.20 GiB');
  });
});
