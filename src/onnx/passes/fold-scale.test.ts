// foldScaleIntoGemm: a scalar Mul before a Gemm (directly or through a Reshape, either operand order, on A or B)
// becomes alpha and the graph computes the same (onnxruntime-node); a Mul with another user, a non-scalar Mul and a
// graph-output Mul stay; on the starter ViT's train step every GELU backward's ½ is folded.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../runtime/ort-node.ts';
import { Builder } from '../builder.ts';
import { assertValid } from '../checker.ts';
import { Graph, type Value } from '../ir.ts';
import type { Tensor } from '../tensor.ts';
import { foldScaleIntoGemm } from './fold-scale.ts';

const rand = (shape: number[], seed: number): Tensor => {
  let st = seed;
  return { dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => { st = (st * 1103515245 + 12345) % 2147483648; return st / 2147483648 - 0.5; }) };
};

function graph(body: (b: Builder, x: Value, w: Value) => Value[]): Graph {
  const g = new Graph();
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [2, 3, 4];
  g.inputs = [x];
  const b = new Builder(g);
  const w = g.addInitializer('w', rand([5, 12], 3));
  g.outputs = body(b, x, w);
  return g;
}
const gemm = (b: Builder, a: Value, w: Value) => b.op('Gemm', [a, w], { transB: { type: 'int', value: 1 } });
const flat = (b: Builder, v: Value) => b.op('Reshape', [v, b.g.addInitializer('shape', { dtype: 'int64', shape: [2], data: BigInt64Array.of(2n, 12n) })]);

async function same(g: Graph, folds: number) {
  const x = rand([2, 3, 4], 7);
  const want = await runGraph(g, { x });
  expect(foldScaleIntoGemm(g)).toBe(folds);
  assertValid(g);
  const got = await runGraph(g, { x });
  for (const [k, t] of Object.entries(want)) {
    const a = t.data as Float32Array, c = got[k].data as Float32Array;
    expect(Math.max(...Array.from(a, (v, i) => Math.abs(v - c[i])))).toBeLessThan(1e-6);
  }
}

describe('fold-scale', () => {
  it('folds Mul(t, c) → Reshape → Gemm A, and Mul(c, t) on B', async () => {
    const g = graph((b, x, w) => [gemm(b, flat(b, b.mul(x, b.scalar(0.5))), w)]);
    await same(g, 1);
    expect(g.nodes.map((n) => n.opType)).toEqual(['Reshape', 'Gemm']);
    expect(g.nodes[1].attrFloat('alpha')).toBe(0.5);
    const h = graph((b, x, w) => [b.op('Gemm', [flat(b, x), b.mul(b.scalar(-3), w)], { transB: { type: 'int', value: 1 } })]);
    await same(h, 0);   // B = c·w is constant: onnxruntime folds it, nothing to do
    const k = graph((b, x, w) => [b.op('Gemm', [b.op('Reshape', [b.mul(b.scalar(2), x), b.g.addInitializer('s', { dtype: 'int64', shape: [2], data: BigInt64Array.of(2n, 12n) })]), b.op('Transpose', [w])], { alpha: { type: 'float', value: 3 } })]);
    await same(k, 1);
    expect(k.nodes.find((n) => n.opType === 'Gemm')!.attrFloat('alpha')).toBe(6);
  });

  it('leaves a Mul with another user, a non-scalar Mul and a Mul that is a graph output', async () => {
    await same(graph((b, x, w) => { const m = b.mul(x, b.scalar(0.5)); return [gemm(b, flat(b, m), w), m]; }), 0);
    await same(graph((b, x, w) => [gemm(b, flat(b, b.mul(x, b.g.addInitializer('v', rand([4], 9)))), w)]), 0);
  });

  it('the starter ViT step: one fold per GELU backward', async () => {
    const { compileTrainStep, backboneInfo, initParams } = await import('../../engine/compile.ts');
    const { DEFAULTS } = await import('../../engine/config.ts');
    const bytes = new Uint8Array(readFileSync('models/starter-vit.onnx'));
    const cfg = { ...DEFAULTS, method: 'lorvp' as const, batchSize: 2, augment: false };
    const step = compileTrainStep(bytes, cfg, 3, 2, initParams(cfg, backboneInfo(bytes), 3));
    const gelus = step.graph.nodes.filter((n) => n.opType === 'Gelu').length;
    expect(gelus).toBeGreaterThan(0);
    expect(step.graph.nodes.filter((n) => n.opType === 'Gemm' && n.attrFloat('alpha', 1) === 0.5).length).toBe(gelus);
  });
});
