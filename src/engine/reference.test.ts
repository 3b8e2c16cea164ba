// Our trainer against an independent PyTorch implementation of the methods (scripts/reference/vp_reference.py,
// written from METHODS.md): per-step losses and final tensors of every method × head × optimiser case in
// tests/fixtures/train must agree to ≤ 1e-4 (relative, or absolute below 1). Runs `vp-studio train` in-process.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../cli/main.ts';
import { readSafetensors } from '../io/safetensors.ts';

// VP_TRAIN_FIXTURES points the test at another set, e.g. one made with make_fixtures.py --seed N (unseen cases)
const ROOT = process.env.VP_TRAIN_FIXTURES ?? join(import.meta.dirname, '../../tests/fixtures/train');
const cases = readdirSync(join(ROOT, 'cases')).sort();
const tmp = mkdtempSync(join(tmpdir(), 'vp-ref-'));
const close = (a: number, b: number) => Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b));

describe('training matches the PyTorch reference', () => {
  it('has the cases', () => expect(cases.length).toBeGreaterThanOrEqual(32));
  for (const name of cases) {
    it(name, async () => {
      const dir = join(ROOT, 'cases', name);
      const c = JSON.parse(readFileSync(join(dir, 'case.json'), 'utf8')) as { args: string[]; losses: number[]; lrs: number[] };
      const args = c.args.map((a, i) => (c.args[i - 1] === '--init-from' ? join(dir, a) : a));
      const out = join(tmp, name);
      // gradient accumulation must not change the result: run some cases in micro-batches of 3
      if (name.endsWith('-adamw') && name.includes('lorvp-lp')) args.push('--micro-batch', '3');
      const backbone = name.split('-')[0];
      const code = await main(['train', '--model', join(ROOT, 'backbones', `${backbone}.onnx`), '--data', join(ROOT, 'data/train'), '--val', join(ROOT, 'data/val'), '--out', out, '--quiet', ...args]);
      expect(code).toBe(0);
      const steps = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'step' in l);
      expect(steps.length).toBe(c.losses.length);
      let worst = 0;
      steps.forEach((s, i) => {
        worst = Math.max(worst, Math.abs(s.loss - c.losses[i]) / Math.max(1, Math.abs(c.losses[i])));
        expect(close(s.lr, c.lrs[i]), `lr at step ${i}`).toBe(true);
      });
      const want = readSafetensors(new Uint8Array(readFileSync(join(dir, 'final.safetensors')))).tensors;
      const got = readSafetensors(new Uint8Array(readFileSync(join(out, 'prompt.safetensors')))).tensors;
      let worstT = 0;
      for (const [k, t] of Object.entries(want)) {
        expect(got[k], `tensor ${k}`).toBeDefined();
        expect(got[k].shape).toEqual(t.shape);
        const a = got[k].data as Float32Array, b = t.data as Float32Array;
        if (k === 'mapping') { expect(Array.from(a)).toEqual(Array.from(b)); continue; }
        for (let i = 0; i < b.length; i++) worstT = Math.max(worstT, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
      }
      console.log(`reference ${name}: ${steps.length} steps, worst loss error ${worst.toExponential(2)}, worst tensor error ${worstT.toExponential(2)}`);
      expect(worst).toBeLessThanOrEqual(1e-4);
      expect(worstT).toBeLessThanOrEqual(1e-4);
    });
  }
});
