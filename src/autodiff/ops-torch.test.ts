// The per-op oracle: our compiled input gradients against torch.autograd (float64) on tiny torch modules around the
// ops of newer vision backbones (tests/fixtures/grad-ops, made by scripts/make_op_grad_fixtures.py at opset 17),
// loaded and differentiated as the CLI does (engine/vjp.ts), ≤ 1e-4 relative max error.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildVjpGraph, fixedBatch } from '../engine/vjp.ts';
import { readNpy } from '../io/npy.ts';
import { runGraph } from '../runtime/ort-node.ts';

const ROOT = join(import.meta.dirname, '../../tests/fixtures/grad-ops');
const fixtures = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();
const COVERED = ['ReduceL2', 'ReduceL1', 'ReduceProd', 'PRelu', 'InstanceNormalization', 'DepthToSpace', 'Sin', 'Cos', 'Einsum'];

const covers = (name: string) => (JSON.parse(readFileSync(join(ROOT, name, 'meta.json'), 'utf8')) as { covers: string[] }).covers;

describe('per-op input gradients match torch.autograd', () => {
  for (const name of fixtures) {
    it(name, async () => {
      const dir = join(ROOT, name), read = (f: string) => readFileSync(join(dir, f));
      const meta = JSON.parse(read('meta.json').toString()) as { covers: string[]; onnx_op_types: string[] };
      const bytes = new Uint8Array(read('model.onnx'));
      const x = readNpy(read('x.npy')), c = readNpy(read('cotangent.npy')), want = readNpy(read('grad.npy')).data as Float32Array;
      const g = buildVjpGraph(bytes, fixedBatch(bytes) ?? x.shape[0]);
      const got = (await runGraph(g, { [g.inputs[0].name]: x as never, [g.inputs[1].name]: c as never }))[g.outputs[0].name];
      expect(got.shape).toEqual(x.shape);
      const data = got.data as Float32Array;
      let num = 0, den = 0;
      for (let i = 0; i < want.length; i++) { num = Math.max(num, Math.abs(data[i] - want[i])); den = Math.max(den, Math.abs(want[i])); }
      console.log(`grad-ops ${name}: relative max error ${(num / den).toExponential(2)} (${meta.covers.join(', ')})`);
      expect(num / den).toBeLessThanOrEqual(1e-4);
      for (const op of meta.covers) expect(meta.onnx_op_types).toContain(op);
    });
  }
  it('covers the ops torch 1.13 exports at opset 17', () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(9);
    const covered = fixtures.flatMap(covers);
    for (const op of COVERED) expect(covered, op).toContain(op);
  });
});
