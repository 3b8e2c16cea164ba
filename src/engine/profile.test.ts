// lastRunProfile on a synthetic trace (only the last model_run counts; per op type, largest first), and
// `vp-studio bench --profile` on the starter ResNet: one profiled kernel per kernel of onnxruntime's optimised step.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lastRunProfile } from './profile.ts';

const node = (op: string, ts: number, dur: number) => ({ cat: 'Node', name: `${op}_${ts}_kernel_time`, ts, dur, args: { op_name: op } });

describe('onnxruntime profiles', () => {
  it('sums the last run\'s kernels per op type', () => {
    const trace = [
      { cat: 'Session', name: 'model_run', ts: 0, dur: 100 }, node('Gemm', 10, 50),
      { cat: 'Session', name: 'model_run', ts: 200, dur: 100 }, node('Gemm', 210, 30), node('Mul', 250, 20), node('Gemm', 280, 10),
      { cat: 'Node', name: 'Gemm_fence_before', ts: 211, dur: 5, args: { op_name: 'Gemm' } },
    ];
    const p = lastRunProfile(trace);
    expect(p.runMs).toBeCloseTo(0.1);
    expect(p.kernelMs).toBeCloseTo(0.06);
    expect(p.byOp.map((o) => [o.op, o.kernels])).toEqual([['Gemm', 2], ['Mul', 1]]);
    expect(p.byOp[0].share).toBeCloseTo(40 / 60);
    expect(p.sequence).toEqual(['Gemm', 'Mul', 'Gemm']);
    expect(() => lastRunProfile({})).toThrow(/not an onnxruntime profile/);
    expect(() => lastRunProfile([])).toThrow(/no model_run/);
  });

  it('vp-studio bench --profile: every kernel of the optimised step is profiled once; --ep webgpu is refused', () => {
    const REPO = join(import.meta.dirname, '../..'), BIN = join(REPO, 'bin/vp-studio.mjs');
    const r = spawnSync(process.execPath, [BIN, 'bench', '--model', 'models/starter-resnet.onnx', '--batch', '2', '--warmup', '1', '--steps', '1', '--threads', '1', '--pad-width', '4', '--profile'], { cwd: REPO, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const j = JSON.parse(r.stdout.trim().split('\n').pop()!) as { ort_kernels: number; profile_kernel_ms: number; profile_by_op: { kernels: number; ms: number }[] };
    expect(j.profile_by_op.reduce((a, o) => a + o.kernels, 0)).toBe(j.ort_kernels);
    expect(j.profile_by_op.reduce((a, o) => a + o.ms, 0)).toBeCloseTo(j.profile_kernel_ms, 1);
    const w = spawnSync(process.execPath, [BIN, 'bench', '--model', 'models/starter-resnet.onnx', '--ep', 'webgpu', '--profile'], { cwd: REPO, encoding: 'utf8' });
    expect(w.status).not.toBe(0);
    expect(w.stderr).toMatch(/--profile needs --ep cpu/);
  });
});
