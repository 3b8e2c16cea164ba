// The host Resize (folded at load) against onnxruntime running the same node: every mode, coordinate transform,
// exclude_outside and antialias combination the attribute table says we honour, downscaling (DINOv2's 37×37
// position grid to 16×16) and upscaling.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../runtime/ort-node.ts';
import { f } from './builder.ts';
import { Graph } from './ir.ts';
import { resizeValues } from './resize.ts';
import { fromNumbers } from './tensor.ts';

function resizeGraph(attrs: Record<string, string | number>, inLen: number, outLen: number): Graph {
  const g = new Graph();
  g.opsetImports = [{ domain: '', version: 18 }];
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [1, 2, inLen, inLen];
  g.inputs = [x];
  const y = g.value('y'); y.dtype = 'float32'; y.shape = [1, 2, outLen, outLen];
  const sizes = g.addInitializer('sizes', fromNumbers('int64', [4], [1, 2, outLen, outLen]));
  const a: Graph['nodes'][number]['attrs'] = {};
  for (const [k, v] of Object.entries(attrs)) a[k] = typeof v === 'string' ? { type: 'string', value: v } : k === 'cubic_coeff_a' ? f(v) : { type: 'int', value: v };
  g.addNode('Resize', [x, null, null, sizes], [y], a);
  g.outputs = [y];
  return g;
}

const cases: Record<string, string | number>[] = [];
for (const mode of ['linear', 'cubic']) for (const antialias of [0, 1]) for (const exclude_outside of [0, 1])
  for (const ct of ['half_pixel', 'pytorch_half_pixel']) {
    // onnxruntime refuses exclude_outside with plain linear (the spec gives it no meaning there)
    if (mode === 'linear' && !antialias && exclude_outside) continue;
    cases.push({ mode, antialias, exclude_outside, coordinate_transformation_mode: ct });
  }
cases.push({ mode: 'cubic', antialias: 1, cubic_coeff_a: -0.5 }, { mode: 'cubic', coordinate_transformation_mode: 'align_corners' },
  { mode: 'linear', coordinate_transformation_mode: 'asymmetric' }, { mode: 'nearest', nearest_mode: 'floor' });

describe('host Resize matches onnxruntime', () => {
  for (const attrs of cases) for (const [inLen, outLen] of [[37, 16], [16, 37], [37, 37]]) {
    it(`${JSON.stringify(attrs)} ${inLen} → ${outLen}`, async () => {
      const g = resizeGraph(attrs, inLen, outLen);
      const n = inLen * inLen * 2;
      const xs = Array.from({ length: n }, (_, i) => Math.sin(i * 0.731) + Math.cos(i * 0.117));
      const want = (await runGraph(g, { x: { dtype: 'float32', shape: [1, 2, inLen, inLen], data: Float32Array.from(xs) } })).y.data as Float32Array;
      const got = resizeValues(g.nodes[0], xs, [1, 2, inLen, inLen], [1, 2, outLen, outLen]);
      let err = 0;
      for (let i = 0; i < got.length; i++) err = Math.max(err, Math.abs(got[i] - want[i]));
      expect(err).toBeLessThan(1e-5);
    });
  }
});
