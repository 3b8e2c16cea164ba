// fuseGelu / lowerGelu on the exporters' GELU chains: each order is found and becomes one Gelu, the lowered graph
// computes what the original did (onnxruntime-node), chains whose intermediates are used elsewhere stay, and a
// train step of the starter ViT is the same step with and without the fusion (loss and every updated tensor).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { runGraph } from '../../runtime/ort-node.ts';
import { Builder } from '../builder.ts';
import { assertValid } from '../checker.ts';
import { Graph, type Value } from '../ir.ts';
import type { Tensor } from '../tensor.ts';
import { fuseGelu, lowerGelu } from './fuse-gelu.ts';

type Chain = (b: Builder, x: Value) => Value;
const S2 = Math.SQRT2;
const CHAINS: [string, Chain][] = [
  ['Div → Erf → Add → Mul(x) → Mul(½)   (torch)', (b, x) => b.mul(b.mul(x, b.add(b.op('Erf', [b.div(x, b.scalar(S2))]), b.scalar(1))), b.scalar(0.5))],
  ['Mul(1/√2), operands swapped', (b, x) => b.mul(b.scalar(0.5), b.mul(b.add(b.scalar(1), b.op('Erf', [b.mul(b.scalar(Math.SQRT1_2), x)])), x))],
  ['Mul(x, ½) first           (transformers)', (b, x) => b.mul(b.mul(x, b.scalar(0.5)), b.add(b.op('Erf', [b.div(x, b.scalar(S2))]), b.scalar(1)))],
  ['Mul(x, Mul(a, ½))', (b, x) => b.mul(x, b.mul(b.add(b.op('Erf', [b.div(x, b.scalar(S2))]), b.scalar(1)), b.scalar(0.5)))],
];

function build(chain: Chain, extraOutput = false): Graph {
  const g = new Graph();
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [3, 7];
  g.inputs = [x];
  const b = new Builder(g);
  const pre = b.mul(x, b.scalar(1.5));          // x is computed, not a graph input
  const y = chain(b, pre);
  g.outputs = [b.add(y, pre)];
  if (extraOutput) g.outputs.push(g.nodes.find((n) => n.opType === 'Erf')!.outputs[0]);
  return g;
}

const input: Tensor = { dtype: 'float32', shape: [3, 7], data: Float32Array.from({ length: 21 }, (_, i) => (i - 10) * 0.37) };
const ops = (g: Graph) => g.nodes.map((n) => n.opType);

describe('fuse-gelu', () => {
  for (const [name, chain] of CHAINS) {
    it(`fuses ${name} into one Gelu, and the lowered chain computes the same`, async () => {
      const g = build(chain);
      const want = (await runGraph(g, { x: input }))[g.outputs[0].name];
      expect(fuseGelu(g)).toBe(1);
      expect(ops(g)).toEqual(['Mul', 'Gelu', 'Add']);
      assertValid(g);
      expect(lowerGelu(g)).toBe(1);             // opset 17: onnxruntime's contrib Gelu
      expect(g.nodes.filter((n) => n.opType === 'Gelu').map((n) => n.domain)).toEqual(['com.microsoft']);
      expect(g.opsetImports).toContainEqual({ domain: 'com.microsoft', version: 1 });
      assertValid(g);
      const got = (await runGraph(g, { x: input }))[g.outputs[0].name];
      const d = Math.max(...Array.from(got.data as Float32Array, (v, i) => Math.abs(v - (want.data as Float32Array)[i])));
      expect(d).toBeLessThan(1e-6);
    });
  }

  it('leaves a chain whose intermediate is used elsewhere, and a Gelu at opset 20', () => {
    const g = build(CHAINS[0][1], true);
    expect(fuseGelu(g)).toBe(0);
    const h = build(CHAINS[0][1]);
    h.opsetImports = [{ domain: '', version: 20 }];
    fuseGelu(h);
    expect(lowerGelu(h)).toBe(0);
    expect(ops(h)).toContain('Gelu');
  });

  it('the starter ViT: every GELU is found, and the train step is the same step with and without it', async () => {
    const { compileTrainStep, backboneInfo, initParams } = await import('../../engine/compile.ts');
    const { DEFAULTS } = await import('../../engine/config.ts');
    const { decodeModel } = await import('../codec.ts');
    const bytes = new Uint8Array(readFileSync('models/starter-vit.onnx'));
    const chains = decodeModel(bytes).nodes.filter((n) => n.opType === 'Erf').length;
    expect(chains).toBeGreaterThan(0);
    const cfg = { ...DEFAULTS, method: 'lorvp' as const, batchSize: 4, augment: false };
    const info = backboneInfo(bytes);
    const params = initParams(cfg, info, 3);
    const L = info.inputSize;
    const feeds: Record<string, Tensor> = {
      images: { dtype: 'float32', shape: [4, 3, L, L], data: Float32Array.from({ length: 4 * 3 * L * L }, (_, i) => ((i * 7919) % 1000) / 1000) },
      labels: { dtype: 'int32', shape: [4], data: Int32Array.of(0, 1, 2, 1) },
      weights: { dtype: 'float32', shape: [4], data: new Float32Array(4).fill(0.25) },
      metrics: { dtype: 'float32', shape: [2], data: new Float32Array(2) },
      'hp.lr': { dtype: 'float32', shape: [], data: Float32Array.of(0.01) },
      'hp.step_size': { dtype: 'float32', shape: [], data: Float32Array.of(0.01) },
      'hp.sqrt_bc2': { dtype: 'float32', shape: [], data: Float32Array.of(1) },
      ...params,
    };
    const run = async (fuse: boolean) => {
      const step = compileTrainStep(bytes, cfg, 3, 4, params, { fuseGelu: fuse });
      const names = new Set(step.graph.inputs.map((v) => v.name));
      for (const v of step.graph.inputs) if (!feeds[v.name]) feeds[v.name] = { dtype: 'float32', shape: v.dims, data: new Float32Array(v.dims.reduce((a, d) => a * d, 1)) };
      return { step, out: await runGraph(step.graph, Object.fromEntries(Object.entries(feeds).filter(([k]) => names.has(k)))) };
    };
    const fused = await run(true), plain = await run(false);
    // the backward reads no intermediate of a forward GELU chain (so onnxruntime fuses each back into one kernel)
    const inner = (st: typeof fused.step) => st.graph.nodes.filter((n) => n.opType === 'Erf' && !n.name.startsWith('grad/'))
      .flatMap((n) => [n.inputs[0]!, n.outputs[0]]).filter((v) => [...v.users].some((u) => u.name.startsWith('grad/'))).length;
    expect(inner(plain.step)).toBeGreaterThanOrEqual(chains);
    expect(inner(fused.step)).toBe(0);
    expect(fused.step.graph.nodes.filter((n) => n.opType === 'Gelu' && n.domain === 'com.microsoft').length).toBe(chains);
    expect(fused.step.graph.nodes.filter((n) => n.opType === 'Erf' && !n.name.startsWith('grad/')).length).toBe(0);
    for (const [k, t] of Object.entries(plain.out)) {
      const u = fused.out[k].data as Float32Array, v = t.data as Float32Array;
      const d = Math.max(...Array.from(v, (x, i) => Math.abs(x - u[i]) / (1e-3 + Math.abs(x))));
      expect(d, k).toBeLessThan(1e-4);
    }
  });
});
