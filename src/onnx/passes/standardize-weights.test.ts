// foldWeightStandardization: timm StdConv2d's BatchNormalization(training_mode=1) of a reshaped constant weight is
// replaced by its value, equal to onnxruntime running the node (per channel: mean 0, biased variance 1/(1+ε/var));
// a training-mode BatchNormalization of an activation, or one whose running statistics are read, is left for the
// attribute audit, which refuses it in one line.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../runtime/ort-node.ts';
import { Builder, f } from '../builder.ts';
import { unsupportedAttribute } from '../attributes.ts';
import { Graph, type Value } from '../ir.ts';
import type { Tensor } from '../tensor.ts';
import { foldWeightStandardization } from './standardize-weights.ts';

const rand = (shape: number[], seed: number): Tensor => {
  let st = seed;
  return { dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => { st = (st * 1103515245 + 12345) % 2147483648; return 0.3 + st / 2147483648 - 0.5; }) };
};

/** StdConv2d: w [4, 3, 3, 3] → Reshape [1, 4, 27] → BatchNormalization(training_mode=1) → Reshape back → output. */
function stdConvWeight(onActivation = false): { g: Graph; bn: () => boolean } {
  const g = new Graph();
  const b = new Builder(g);
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [1, 4, 27];
  g.inputs = [x];
  const w = g.addInitializer('w', rand([4, 3, 3, 3], 5));
  const flat: Value = onActivation ? x : b.reshape(w, [1, 4, 27]);
  const [y] = b.opN('BatchNormalization', [flat, b.constF([1, 1, 1, 1]), b.constF([0, 0, 0, 0]), b.constF([0, 0, 0, 0]), b.constF([1, 1, 1, 1])], 3,
    { epsilon: f(1e-8), momentum: f(0), training_mode: { type: 'int', value: 1 } });
  const out = b.reshape(y, [4, 3, 3, 3]);
  g.outputs = [onActivation ? out : b.add(out, b.reshape(x, [4, 3, 3, 3]))];
  return { g, bn: () => g.nodes.some((n) => n.opType === 'BatchNormalization') };
}

describe('weight standardisation folded at load', () => {
  it('a training-mode BatchNormalization of a constant weight becomes its value, as onnxruntime computes it', async () => {
    const { g, bn } = stdConvWeight();
    const x = { dtype: 'float32' as const, shape: [1, 4, 27], data: new Float32Array(108) };
    const want = (await runGraph(g, { x }))[g.outputs[0].name].data as Float32Array;
    expect(foldWeightStandardization(g)).toBe(1);
    expect(bn()).toBe(false);
    const got = (await runGraph(g, { x }))[g.outputs[0].name].data as Float32Array;
    let err = 0;
    for (let i = 0; i < want.length; i++) err = Math.max(err, Math.abs(want[i] - got[i]));
    expect(err).toBeLessThan(1e-5);
    for (let c = 0; c < 4; c++) {
      const row = Array.from(got.slice(c * 27, (c + 1) * 27));
      const mean = row.reduce((a, v) => a + v, 0) / 27;
      expect(Math.abs(mean)).toBeLessThan(1e-6);
      expect(row.reduce((a, v) => a + (v - mean) ** 2, 0) / 27).toBeCloseTo(1, 5);
    }
  });

  it('batch statistics of an activation are left, and the audit refuses them naming the attribute', () => {
    const { g, bn } = stdConvWeight(true);
    expect(foldWeightStandardization(g)).toBe(0);
    expect(bn()).toBe(true);
    const n = g.nodes.find((m) => m.opType === 'BatchNormalization')!;
    expect(unsupportedAttribute(n.opType, n.name, n.attrs)).toMatch(/BatchNormalization .* training_mode=1 is not supported/);
  });
});
