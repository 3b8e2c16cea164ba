// `--ep webgpu`: the CLI's steps on onnxruntime-node's native WebGPU EP, run here on Chromium's SwiftShader Vulkan
// driver (CI installs Debian's chromium, which ships it). A LoR-VP run with AdamW over 21 steps — seven epochs of
// 24 images at batch 10, so every epoch ends on a padded batch of 4 — gives the CPU EP's losses and final tensors;
// with no usable Vulkan driver, and with an unknown EP, the command refuses in one line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../io/safetensors.ts';

const REPO = join(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/vp-studio.mjs');
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
const tmp = mkdtempSync(join(tmpdir(), 'vp-ep-'));

const cli = (env: Record<string, string>, ...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, XDG_RUNTIME_DIR: tmpdir(), ...env } });
  return { code: r.status, stderr: r.stderr };
};
const ours = (stderr: string) => stderr.split('\n').filter((l) => l.startsWith('vp-studio:'));

function train(ep: string, env: Record<string, string> = {}) {
  const out = join(tmp, ep);
  const r = cli(env, 'train', '--model', 'e2e/fixtures/tiny-vit.onnx', '--data', 'e2e/fixtures/shapes', '--out', out, '--ep', ep,
    '--epochs', '7', '--batch-size', '10', '--optimizer', 'adamw', '--lr', '0.01', '--mean', '0.5,0.5,0.5', '--std', '0.5,0.5,0.5', '--quiet');
  const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { loss?: number; step?: number; val_acc?: number });
  return { ...r, losses: lines.filter((l) => l.step !== undefined).map((l) => l.loss!), tensors: readSafetensors(new Uint8Array(readFileSync(join(out, 'prompt.safetensors')))).tensors };
}

describe('--ep webgpu', () => {
  it.runIf(existsSync(SWIFTSHADER))('trains on the native WebGPU EP (SwiftShader) with the CPU EP\'s losses and tensors', () => {
    const cpu = train('cpu');
    const gpu = train('webgpu', { VK_ICD_FILENAMES: SWIFTSHADER });
    expect(cpu.code, cpu.stderr).toBe(0);
    expect(gpu.code, gpu.stderr).toBe(0);
    expect(gpu.stderr).not.toMatch(/runs some nodes on the CPU EP/);   // the step and the evaluation wholly on the GPU
    expect(gpu.losses.length).toBe(21);
    expect(cpu.losses.length).toBe(21);
    const dLoss = Math.max(...cpu.losses.map((l, i) => Math.abs(l - gpu.losses[i])));
    let dTensor = 0;
    for (const [k, t] of Object.entries(cpu.tensors)) {
      const a = t.data as Float32Array, b = gpu.tensors[k].data as Float32Array;
      expect(b.length).toBe(a.length);
      for (let i = 0; i < a.length; i++) dTensor = Math.max(dTensor, Math.abs(a[i] - b[i]));
    }
    console.log(`--ep webgpu vs cpu over 21 steps: max |Δloss| ${dLoss.toExponential(2)}, max |Δtensor| ${dTensor.toExponential(2)}; loss ${cpu.losses[0].toFixed(4)} → ${cpu.losses[20].toFixed(4)}`);
    expect(dLoss).toBeLessThan(1e-4);
    expect(dTensor).toBeLessThan(1e-4);
    expect(cpu.losses[20]).toBeLessThan(cpu.losses[0]);   // it learned, so the comparison is not of two idle runs
  }, 300_000);

  it('refuses in one line when no adapter is usable, and names an unknown EP', () => {
    const none = cli({ VK_ICD_FILENAMES: '/nonexistent/icd.json' }, 'bench', '--model', 'e2e/fixtures/tiny-vit.onnx', '--ep', 'webgpu', '--steps', '1', '--warmup', '0');
    expect(none.code).toBe(1);
    expect(ours(none.stderr)).toHaveLength(1);
    expect(ours(none.stderr)[0]).toMatch(/--ep webgpu: no usable WebGPU adapter .*VK_ICD_FILENAMES=\/nonexistent\/icd\.json.*--ep cpu/);
    const bad = cli({}, 'bench', '--model', 'e2e/fixtures/tiny-vit.onnx', '--ep', 'cuda');
    expect(bad.code).toBe(1);
    expect(ours(bad.stderr)).toEqual(['vp-studio: --ep must be cpu or webgpu, got "cuda"']);
  }, 120_000);
});
