// An interrupted run resumes from its last completed epoch and ends exactly where an uninterrupted run ends:
// a `vp-studio train` process is killed (SIGKILL) after its first checkpoint, then `--resume` finishes it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../io/safetensors.ts';
import { sampleCheckpoint } from '../io/schemas/test-samples.ts';
import { readCheckpoint, RunWriter } from './run-files.ts';

const REPO = join(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/vp-studio.mjs');
const FIX = join(REPO, 'tests/fixtures/train');
const tmp = mkdtempSync(join(tmpdir(), 'vp-resume-'));
const ARGS = ['--model', join(FIX, 'backbones/vit.onnx'), '--data', join(FIX, 'data/train'), '--val', join(FIX, 'data/val'),
  '--method', 'lorvp', '--head', 'lp', '--rank', '2', '--init', 'normal,normal', '--epochs', '8', '--batch-size', '8',
  '--lr', '0.05', '--optimizer', 'adamw', '--mean', '0.5,0.5,0.5', '--std', '0.25,0.25,0.25', '--seed', '3', '--quiet'];

const steps = (dir: string) => readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((l) => 'step' in l);

describe('vp-studio train --resume', () => {
  it('continues a killed run to the same result', async () => {
    const full = join(tmp, 'full'), cut = join(tmp, 'cut');
    expect(spawnSync(process.execPath, [BIN, 'train', ...ARGS, '--out', full]).status).toBe(0);
    // start, kill as soon as the first checkpoint exists
    const child = spawn(process.execPath, [BIN, 'train', ...ARGS, '--out', cut], { stdio: 'ignore' });
    const exited = new Promise((r) => child.on('exit', r));
    while (!existsSync(join(cut, 'checkpoint.json')) && child.exitCode === null) await new Promise((r) => setTimeout(r, 10));
    child.kill('SIGKILL');
    await exited;
    const ck = JSON.parse(readFileSync(join(cut, 'checkpoint.json'), 'utf8'));
    expect(ck.epoch).toBeGreaterThanOrEqual(1);
    const r = spawnSync(process.execPath, [BIN, 'train', '--resume', cut, '--quiet'], { encoding: 'utf8' });
    expect(r.stderr).not.toMatch(/vp-studio:/);
    expect(r.status).toBe(0);
    const a = steps(full), b = steps(cut);
    expect(b.map((s) => s.step)).toEqual(a.map((s) => s.step));
    b.forEach((s, i) => expect(s.loss).toBeCloseTo(a[i].loss, 6));
    const ta = readSafetensors(new Uint8Array(readFileSync(join(full, 'prompt.safetensors')))).tensors;
    const tb = readSafetensors(new Uint8Array(readFileSync(join(cut, 'prompt.safetensors')))).tensors;
    for (const k of Object.keys(ta)) expect(Array.from(tb[k].data as Float32Array)).toEqual(Array.from(ta[k].data as Float32Array));
  });

  it('a kill between the checkpoint\'s two renames, or mid-line in metrics.jsonl, still resumes consistently', () => {
    const dir = join(tmp, 'torn'), w = new RunWriter(dir);
    const ck = (epoch: number) => ({ epoch, step: 3 * epoch, rngState: [epoch, 1, 2, 3], epochs: [], mapping: undefined, tensors: { 'prompt.B': { dtype: 'float32' as const, shape: [2], data: Float32Array.of(epoch, -epoch) } } });
    w.checkpoint(ck(1), sampleCheckpoint().flags);
    const oldJson = readFileSync(join(dir, 'checkpoint.json'), 'utf8');
    w.checkpoint(ck(2), sampleCheckpoint().flags);
    writeFileSync(join(dir, 'checkpoint.json'), oldJson);   // killed after the tensors' rename, before the json's
    const r = readCheckpoint(dir);
    expect([r.ck.epoch, r.ck.step, r.ck.rngState[0]]).toEqual([2, 6, 2]);
    expect(Array.from(r.ck.tensors['prompt.B'].data as Float32Array)).toEqual([2, -2]);
    w.metric({ epoch: 0, step: 0, loss: 1 });
    w.metric({ epoch: 1, step: 3, loss: 0.5 });
    writeFileSync(join(dir, 'metrics.jsonl'), readFileSync(join(dir, 'metrics.jsonl'), 'utf8') + '{"epoch":2,"st');
    new RunWriter(dir, 2);
    expect(readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).step)).toEqual([0, 3]);
  });

  it('continues a run whose files are elsewhere given --model/--data, and refuses another backbone or other images in one line', () => {
    const moved = join(tmp, 'moved');
    const short = ARGS.map((a, i) => (ARGS[i - 1] === '--epochs' ? '2' : a));
    expect(spawnSync(process.execPath, [BIN, 'train', ...short, '--out', moved]).status).toBe(0);
    // as a run from another machine (or the studio's export) records them: names, not paths here
    const { meta, ck } = readCheckpoint(moved);
    expect(meta.classes).toEqual(['a_circle', 'b_square', 'c_noise']);
    expect(meta.backbone).toMatchObject({ file: 'vit.onnx', family: 'vit' });
    rmSync(join(moved, 'checkpoint.json'));   // checkpoint.safetensors alone is enough
    new RunWriter(moved, 2).checkpoint(ck, { ...meta.flags, model: 'vit.onnx', data: 'train', val: 'val' }, { classes: meta.classes, backbone: meta.backbone, data: meta.data });
    rmSync(join(moved, 'checkpoint.json'));
    const resume = (...more: string[]) => spawnSync(process.execPath, [BIN, 'train', '--resume', moved, '--quiet', ...more], { encoding: 'utf8' });
    const line = (r: ReturnType<typeof resume>) => { expect(r.status).not.toBe(0); expect(r.stderr.trim().split('\n')).toHaveLength(1); return r.stderr.trim(); };
    expect(line(resume())).toMatch(/its backbone "vit\.onnx" \(as the run recorded it\) is not here; pass --model$/);
    const data = ['--data', join(FIX, 'data/train'), '--val', join(FIX, 'data/val')];
    expect(line(resume('--model', join(FIX, 'backbones/vit.onnx')))).toMatch(/its image folder "train" \(as the run recorded it\) is not here; pass --data$/);
    expect(line(resume('--model', join(FIX, 'backbones/resnet.onnx'), ...data))).toMatch(/resnet\.onnx is not the backbone this run was trained on \(vit\.onnx, sha256 [0-9a-f]{12}…/);
    const model = ['--model', join(FIX, 'backbones/vit.onnx')];
    expect(line(resume(...model, '--data', join(FIX, 'data/val'), '--val', join(FIX, 'data/train')))).toMatch(/the run was trained on \d+ training \/ \d+ validation images; this data gives \d+ \/ \d+/);
    const r = resume(...model, ...data);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('says clearly when there is nothing to resume', () => {
    const r = spawnSync(process.execPath, [BIN, 'train', '--resume', join(tmp, 'nothing')], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr.trim()).toMatch(/^vp-studio: --resume .*nothing: no checkpoint/m);
  });
});
