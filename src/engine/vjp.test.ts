// The oracle test: our compiled input gradients against torch.autograd on real torchvision / Hugging Face-style
// exports (tests/fixtures/grad, made by scripts/export_fixtures.py), ≤ 1e-4 relative max error.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../io/npy.ts';
import { createSession, runSession } from '../runtime/ort-node.ts';
import { buildVjpGraph, fixedBatch } from './vjp.ts';

const ROOT = join(import.meta.dirname, '../../tests/fixtures/grad');
const fixtures = readdirSync(ROOT, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort();

export function relMaxError(a: Float32Array, b: Float32Array): number {
  let num = 0, den = 0;
  for (let i = 0; i < b.length; i++) { num = Math.max(num, Math.abs(a[i] - b[i])); den = Math.max(den, Math.abs(b[i])); }
  return num / den;
}

describe('input gradients match torch.autograd', () => {
  it('has fixtures', () => expect(fixtures.length).toBeGreaterThanOrEqual(8));
  for (const name of fixtures) {
    it(name, async () => {
      const dir = join(ROOT, name);
      const bytes = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
      const x = readNpy(readFileSync(join(dir, 'x.npy')));
      const c = readNpy(readFileSync(join(dir, 'cotangent.npy')));
      const want = readNpy(readFileSync(join(dir, 'grad.npy')));
      const g = buildVjpGraph(bytes, fixedBatch(bytes) ?? x.shape[0]);
      const s = await createSession(g);
      const res = await runSession(s, { [g.inputs[0].name]: x as never, [g.inputs[1].name]: c as never });
      await s.release();
      const got = res[g.outputs[0].name];
      expect(got.shape).toEqual(x.shape);
      const err = relMaxError(got.data as Float32Array, want.data as Float32Array);
      console.log(`grad ${name}: relative max error ${err.toExponential(2)}`);
      expect(err).toBeLessThanOrEqual(1e-4);
    });
  }
});
