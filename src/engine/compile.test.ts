// The train-step compiler on real torch exports: a zero LoR-VP prompt leaves the backbone's predictions
// untouched, impossible combinations are refused, and the deployable model reproduces the engine's logits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeModel } from '../onnx/codec.ts';
import { runGraph } from '../runtime/ort-node.ts';
import type { Tensor } from '../onnx/tensor.ts';
import { compileEval, compileTrainStep, describeBackbone, exportDeployable, initParams } from './compile.ts';
import { DEFAULTS, type TrainConfig } from './config.ts';
import { Rng } from './init.ts';

const FIX = join(import.meta.dirname, '../../tests/fixtures/grad');
const model = (n: string) => new Uint8Array(readFileSync(join(FIX, n, 'model.onnx')));
const cfg = (o: Partial<TrainConfig>): TrainConfig => ({ ...DEFAULTS, ...o });
const rand = (shape: number[], seed: number): Tensor => { const r = new Rng(seed); return { dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => r.next()) }; };

describe('compiler', () => {
  it('describes backbones', () => {
    const v = describeBackbone(model('vit_o17')).info;
    expect(v).toMatchObject({ family: 'vit', inputSize: 32, fixedBatch: 2, numSourceClasses: 10, featureWidth: 32 });
    expect(v.vit).toMatchObject({ width: 32, depth: 2, patch: 8, numPatches: 16 });
    expect(describeBackbone(model('resnet_o17')).info).toMatchObject({ family: 'resnet', inputSize: 64, featureWidth: 64 });
  });

  it('refuses impossible combinations with a clear sentence', () => {
    const r = model('resnet_o17');
    const p = initParams(cfg({ method: 'none' }), describeBackbone(r).info, 3);
    expect(() => compileTrainStep(r, cfg({ method: 'vpt' }), 3, 2, p)).toThrow(/vpt needs a ViT backbone/);
    expect(() => compileTrainStep(r, cfg({ method: 'lorvp', head: 'flm' }), 11, 2, {})).toThrow(/11 target classes but the backbone has only 10/);
    expect(() => compileTrainStep(r, cfg({ method: 'pad', padWidth: 40 }), 3, 2, {})).toThrow(/--pad-width 40 does not fit/);
    expect(() => compileTrainStep(r, cfg({ method: 'lorvp', init: 'zeros,normal' }), 3, 2, {})).toThrow(/unknown init "zeros"/);
    // a fixed-batch export (batch 2) is re-batched, not refused
    expect(compileTrainStep(r, cfg({ method: 'none' }), 3, 4, p).graph.inputs.find((v) => v.name === 'images')!.dims).toEqual([4, 3, 64, 64]);
  });

  it('a zero LoR-VP prompt with fm head on identity-like mapping gives the backbone logits; step outputs are complete', async () => {
    const bytes = model('vit_o17');
    const c = cfg({ method: 'lorvp', head: 'fm', init: 'zero,normal', mean: [0.5, 0.5, 0.5], std: [0.25, 0.25, 0.25] });
    const info = describeBackbone(bytes).info;
    const params = initParams(c, info, 10);
    const I = new Float32Array(100); for (let i = 0; i < 10; i++) I[i * 11] = 1;
    params['head.weight'] = { dtype: 'float32', shape: [10, 10], data: I };
    params['head.bias'] = { dtype: 'float32', shape: [10], data: new Float32Array(10) };
    const step = compileTrainStep(bytes, c, 10, 2, params);
    const x = rand([2, 3, 32, 32], 1);
    const feeds: Record<string, Tensor> = {
      images: x, labels: { dtype: 'int32', shape: [2], data: Int32Array.of(3, 7) }, weights: { dtype: 'float32', shape: [2], data: Float32Array.of(0.5, 0.5) },
      'hp.lr': { dtype: 'float32', shape: [], data: Float32Array.of(0.1) }, metrics: { dtype: 'float32', shape: [2], data: Float32Array.of(1.5, 2) },
    };
    for (const [k, t] of Object.entries(params)) { feeds[k] = t; feeds[`state.${k}.buf`] = { dtype: 'float32', shape: t.shape, data: new Float32Array(t.data.length) }; }
    const names = new Set(step.graph.inputs.map((v) => v.name));
    const out = await runGraph(step.graph, Object.fromEntries(Object.entries(feeds).filter(([k]) => names.has(k))));
    // reference: the raw backbone on the normalised input
    const norm = { ...x, data: (x.data as Float32Array).map((v) => (v - 0.5) / 0.25) };
    const ref = await runGraph(bytes, { input: norm });
    const ev = compileEval(bytes, c, 10, 2, params);
    const evNames = new Set(ev.graph.inputs.map((v) => v.name));
    const logits = (await runGraph(ev.graph, Object.fromEntries(Object.entries(feeds).filter(([k]) => evNames.has(k))))).logits.data as Float32Array;
    const want = Object.values(ref)[0].data as Float32Array;
    for (let i = 0; i < want.length; i++) expect(logits[i]).toBeCloseTo(want[i], 5);
    // the step's loss is the mean cross-entropy of those logits; its metric sums are Σ CE and Σ correct
    let ce = 0, correct = 0;
    [3, 7].forEach((label, r) => {
      const row = Array.from(logits.subarray(r * 10, r * 10 + 10)), max = Math.max(...row);
      ce += Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0)) + max - row[label];
      if (row.indexOf(max) === label) correct++;
    });
    expect((out.loss.data as Float32Array)[0]).toBeCloseTo(ce / 2, 5);
    expect(Array.from(out['metrics.next'].data as Float32Array)).toEqual([expect.closeTo(ce + 1.5, 4), correct + 2]);
    expect(Object.keys(out).sort()).toEqual(['head.bias.next', 'head.weight.next', 'metrics.next', 'loss', 'prompt.A.next', 'prompt.B.next', 'state.head.bias.buf.next', 'state.head.weight.buf.next', 'state.prompt.A.buf.next', 'state.prompt.B.buf.next'].sort());
    expect((out['prompt.B.next'].data as Float32Array).some((v) => v !== 0)).toBe(true); // B moves on step one (A ≠ 0)
  });

  for (const [name, method, head] of [['resnet_o17', 'pad', 'lp'], ['vit_o17', 'lorvp', 'flm'], ['vit_o17', 'vpt-deep', 'lp']] as const) {
    it(`the deployable model reproduces the engine's logits (${name}, ${method}+${head})`, async () => {
      const bytes = model(name);
      const info = describeBackbone(bytes).info;
      const c = cfg({ method, head, init: 'normal,normal', padWidth: 4, tokens: 3, seed: 5 });
      const params = initParams(c, info, 3);
      const mapping = head === 'flm' ? Int32Array.of(4, 1, 8) : undefined;
      const ev = compileEval(bytes, c, 3, 2, params);
      const x = rand([2, 3, info.inputSize, info.inputSize], 9);
      const feeds: Record<string, Tensor> = { images: x, ...params };
      if (mapping) { const M = new Float32Array(30); mapping.forEach((s, t) => { M[s * 3 + t] = 1; }); feeds.mapping = { dtype: 'float32', shape: [10, 3], data: M }; }
      const a = (await runGraph(encodeModel(ev.graph), feeds)).logits.data as Float32Array;
      const dep = exportDeployable(bytes, c, 3, params, mapping, 10);
      const b = Object.values(await runGraph(dep, { images: x }))[0].data as Float32Array;
      expect(Array.from(b)).toEqual(Array.from(a));
    });
  }
});
