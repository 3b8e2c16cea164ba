// The `vp-studio` command's contract: grad writes the VJP as .npy; inspect prints JSON; malformed input exits
// non-zero with one line naming the problem. Runs the real bin through node + tsx.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from '../io/npy.ts';

const REPO = join(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/vp-studio.mjs');
const FIX = join(REPO, 'tests/fixtures/grad');
const tmp = mkdtempSync(join(tmpdir(), 'vp-cli-'));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr.trim() };
}

describe('vp-studio inspect', () => {
  it('describes a torchvision ViT', () => {
    const out = JSON.parse(execFileSync(process.execPath, [BIN, 'inspect', join(FIX, 'vit_o17/model.onnx')], { encoding: 'utf8' }));
    expect(out.family).toBe('vit');
    expect(out.features.width).toBe(32);
    expect(out.vit.depth).toBe(2);
    expect(out.vit.sequenceLength).toBe(17);
    expect(out.input.shape).toEqual([2, 3, 32, 32]);
    expect(out.parameters).toBeGreaterThan(20000);
  });
  it('describes a ResNet', () => {
    const out = JSON.parse(execFileSync(process.execPath, [BIN, 'inspect', join(FIX, 'resnet_o13/model.onnx')], { encoding: 'utf8' }));
    expect(out.family).toBe('resnet');
    expect(out.features.width).toBe(64);
    expect(out.vit).toBeUndefined();
  });
});

describe('vp-studio grad', () => {
  it('writes the VJP with the input shape, chunking a fixed-batch export', () => {
    const dir = join(FIX, 'resnet_o17');
    const x = readNpy(readFileSync(join(dir, 'x.npy')));
    const c = readNpy(readFileSync(join(dir, 'cotangent.npy')));
    // 3 samples through a model exported at batch 2: the first two rows must equal the fixture's gradient
    const per = x.data.length / x.shape[0], cper = c.data.length / c.shape[0];
    const x3 = new Float32Array(3 * per); x3.set(x.data as Float32Array); x3.set((x.data as Float32Array).subarray(0, per), 2 * per);
    const c3 = new Float32Array(3 * cper); c3.set(c.data as Float32Array); c3.set((c.data as Float32Array).subarray(0, cper), 2 * cper);
    writeFileSync(join(tmp, 'x3.npy'), writeNpy({ dtype: 'float32', shape: [3, ...x.shape.slice(1)], data: x3 }));
    writeFileSync(join(tmp, 'c3.npy'), writeNpy({ dtype: 'float32', shape: [3, ...c.shape.slice(1)], data: c3 }));
    const r = cli('grad', join(dir, 'model.onnx'), '--input', join(tmp, 'x3.npy'), '--cotangent', join(tmp, 'c3.npy'), '--out', join(tmp, 'g3.npy'));
    expect(r.stderr).not.toMatch(/vp-studio:/);
    expect(r.code).toBe(0);
    const g = readNpy(readFileSync(join(tmp, 'g3.npy')));
    const want = readNpy(readFileSync(join(dir, 'grad.npy'))).data as Float32Array;
    expect(g.shape).toEqual([3, ...x.shape.slice(1)]);
    const gd = g.data as Float32Array;
    let err = 0, den = 0;
    for (let i = 0; i < want.length; i++) { err = Math.max(err, Math.abs(gd[i] - want[i])); den = Math.max(den, Math.abs(want[i])); }
    expect(err / den).toBeLessThan(1e-4);
    for (let i = 0; i < per; i++) expect(gd[2 * per + i]).toBeCloseTo(gd[i], 5);
  });

  const bad: [string, () => string[], RegExp][] = [
    ['not an ONNX file', () => { writeFileSync(join(tmp, 'junk.onnx'), 'hello, this is text'); return ['grad', join(tmp, 'junk.onnx'), '--input', join(FIX, 'vit_o17/x.npy'), '--cotangent', join(FIX, 'vit_o17/cotangent.npy'), '--out', join(tmp, 'o.npy')]; }, /not a valid ONNX model/],
    ['truncated model', () => { const b = readFileSync(join(FIX, 'vit_o17/model.onnx')); writeFileSync(join(tmp, 'trunc.onnx'), b.subarray(0, Math.floor(b.length / 2))); return ['inspect', join(tmp, 'trunc.onnx')]; }, /not a valid ONNX model|truncated/],
    ['missing file', () => ['inspect', join(tmp, 'nope.onnx')], /model .*nope\.onnx: no such file/],
    ['wrong input shape', () => { writeFileSync(join(tmp, 'x5.npy'), writeNpy({ dtype: 'float32', shape: [2, 3, 5, 5], data: new Float32Array(150) })); return ['grad', join(FIX, 'vit_o17/model.onnx'), '--input', join(tmp, 'x5.npy'), '--cotangent', join(FIX, 'vit_o17/cotangent.npy'), '--out', join(tmp, 'o.npy')]; }, /--input .*x5\.npy has shape \[2,3,5,5\]/],
    ['wrong dtype', () => { writeFileSync(join(tmp, 'xi.npy'), writeNpy({ dtype: 'int32', shape: [2, 3, 32, 32], data: new Int32Array(6144) })); return ['grad', join(FIX, 'vit_o17/model.onnx'), '--input', join(tmp, 'xi.npy'), '--cotangent', join(FIX, 'vit_o17/cotangent.npy'), '--out', join(tmp, 'o.npy')]; }, /xi\.npy has dtype int32; float32 expected/],
    ['wrong cotangent shape', () => ['grad', join(FIX, 'vit_o17/model.onnx'), '--input', join(FIX, 'vit_o17/x.npy'), '--cotangent', join(FIX, 'vit_o17/x.npy'), '--out', join(tmp, 'o.npy')], /--cotangent .* has shape/],
    ['not an npy', () => { writeFileSync(join(tmp, 'bad.npy'), 'nope'); return ['grad', join(FIX, 'vit_o17/model.onnx'), '--input', join(tmp, 'bad.npy'), '--cotangent', join(FIX, 'vit_o17/cotangent.npy'), '--out', join(tmp, 'o.npy')]; }, /--input .*bad\.npy: /],
  ];
  for (const [name, args, re] of bad) {
    it(`fails with one line: ${name}`, () => {
      const r = cli(...args());
      expect(r.code).not.toBe(0);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('vp-studio:'));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(re);
    });
  }

});
