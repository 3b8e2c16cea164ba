// `vp-studio train`/`eval`/`predict` end to end on a small synthetic image folder: the run files and their
// formats, the deployable model agreeing with eval, and bad data (corrupt image, text file, empty class folder,
// one class only) reported clearly while training goes on where it can.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '../io/safetensors.ts';
import { runGraph } from '../runtime/ort-node.ts';

const REPO = join(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/vp-studio.mjs');
const RESNET = join(REPO, 'tests/fixtures/grad/resnet_o17/model.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'vp-train-'));
const cli = (...args: string[]) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: REPO, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** Class k: a bright square at a class-specific place on noise — learnable in a few steps. */
async function makeImage(path: string, k: number, i: number): Promise<void> {
  const S = 40, px = Buffer.alloc(S * S * 3);
  let seed = k * 1000 + i + 1;
  const rnd = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) for (let c = 0; c < 3; c++) {
    const inSq = x >= 4 + k * 12 && x < 14 + k * 12 && y >= 10 && y < 26;
    px[(y * S + x) * 3 + c] = inSq ? 230 : Math.floor(rnd() * 90);
  }
  await sharp(px, { raw: { width: S, height: S, channels: 3 } }).png().toFile(path);
}

const DATA = join(tmp, 'data');
beforeAll(async () => {
  for (const [k, name] of ['left', 'middle', 'right'].entries()) {
    mkdirSync(join(DATA, name), { recursive: true });
    for (let i = 0; i < 8; i++) await makeImage(join(DATA, name, `${i}.png`), k, i);
  }
  writeFileSync(join(DATA, 'middle', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]));
  writeFileSync(join(DATA, 'left', 'notes.txt'), 'not an image');
  mkdirSync(join(DATA, 'zz-empty'));
});

describe('vp-studio train', () => {
  const RUN = join(tmp, 'run');
  it('trains, skipping bad files, and writes the run files', () => {
    const r = cli('train', '--model', RESNET, '--data', DATA, '--out', RUN, '--method', 'lorvp', '--head', 'lp', '--rank', '2',
      '--epochs', '3', '--batch-size', '2', '--lr', '0.05', '--seed', '1', '--no-augment');
    expect(r.stderr).not.toMatch(/^vp-studio:/m);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/skipped .*broken\.png: /);
    expect(r.stderr).toMatch(/skipped .*notes\.txt: not a JPEG, PNG, WebP, BMP or GIF image/);
    expect(r.stderr).toMatch(/zz-empty/);
    const lines = readFileSync(join(RUN, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const steps = lines.filter((l) => 'step' in l), epochs = lines.filter((l) => 'val_acc' in l);
    expect(steps.length).toBe(3 * Math.ceil(steps.length / 3));
    expect(steps[0]).toMatchObject({ step: 0, epoch: 0, lr: 0.05 });
    expect(epochs).toHaveLength(3);
    for (const e of epochs) for (const k of ['epoch', 'train_acc', 'val_acc', 'val_loss', 'images_per_s']) expect(e[k]).toBeTypeOf('number');
    expect(steps[steps.length - 1].loss).toBeLessThan(steps[0].loss);
    const st = readSafetensors(new Uint8Array(readFileSync(join(RUN, 'prompt.safetensors'))));
    expect(st.tensors['prompt.B'].shape).toEqual([3, 64, 2]);
    expect(st.tensors['prompt.A'].shape).toEqual([3, 2, 64]);
    expect(st.tensors['head.weight'].shape).toEqual([3, 64]);
    const m = JSON.parse(readFileSync(join(RUN, 'manifest.json'), 'utf8'));
    expect(m.classes).toEqual(['left', 'middle', 'right']);
    expect(m.backbone.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.settings).toMatchObject({ method: 'lorvp', head: 'lp', rank: 2, seed: 1 });
    expect(m.data.skipped.length).toBe(2);
    expect(m.model).toEqual({ file: 'model.onnx', input: ['N', 3, 64, 64], output: ['N', 3] }); // the file fixes a batch of 2: re-batched
  });

  it('eval agrees with the deployable model.onnx run in onnxruntime', async () => {
    const r = cli('eval', '--run', RUN, '--data', DATA);
    expect(r.code).toBe(0);
    const ev = JSON.parse(r.stdout);
    expect(ev.accuracy).toBeGreaterThan(0.5);
    expect(ev.confusion).toHaveLength(3);
    // the same images through model.onnx
    const { ImageLoader } = await import('../data/decode-node.ts');
    const loader = new ImageLoader();
    const bytes = new Uint8Array(readFileSync(join(RUN, 'model.onnx')));
    let agree = 0, n = 0;
    for (const [k, name] of ['left', 'middle', 'right'].entries()) for (let i = 0; i < 8; i++) {
      const img = await loader.load(join(DATA, name, `${i}.png`), 64);
      const x = new Float32Array(2 * 3 * 64 * 64); x.set(img.data);
      const out = Object.values(await runGraph(bytes, { images: { dtype: 'float32', shape: [2, 3, 64, 64], data: x } }))[0].data as Float32Array;
      const pred = [0, 1, 2].reduce((a, c) => (out[c] > out[a] ? c : a), 0);
      const wrong = ev.misclassified.some((mm: { image: string }) => mm.image.endsWith(`${name}/${i}.png`));
      if ((pred === k) !== wrong) agree++;
      n++;
    }
    expect(agree).toBe(n);
  });

  it('predict prints the top classes', () => {
    const r = cli('predict', '--run', RUN, join(DATA, 'right', '0.png'));
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out[0].top).toHaveLength(3);
    expect(out[0].top[0].probability).toBeGreaterThan(out[0].top[1].probability);
  });

  it('refuses a dataset with one class, naming the folder', () => {
    const one = join(tmp, 'one');
    mkdirSync(join(one, 'only'), { recursive: true });
    writeFileSync(join(one, 'only', 'a.txt'), 'x');
    const r = cli('train', '--model', RESNET, '--data', one, '--out', join(tmp, 'r1'), '--batch-size', '2');
    expect(r.code).not.toBe(0);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('vp-studio:'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/one/);
  });

  it('refuses VPT on a CNN in one line', () => {
    const r = cli('train', '--model', RESNET, '--data', DATA, '--out', join(tmp, 'r2'), '--method', 'vpt', '--batch-size', '2');
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/^vp-studio: vpt needs a ViT backbone/m);
  });

  it('a diverged run stops, says so in one line, exits 1 and keeps the last finite tensors', () => {
    const FIXT = join(REPO, 'tests/fixtures/train');
    const out = join(tmp, 'diverged');
    const r = cli('train', '--model', join(FIXT, 'backbones/vit.onnx'), '--data', join(FIXT, 'data/train'), '--val', join(FIXT, 'data/val'),
      '--lr', '1e9', '--epochs', '5', '--batch-size', '8', '--quiet', '--out', out);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^vp-studio: diverged — lower the learning rate: the loss became \S+ at step \d+ \(epoch \d+\); kept the tensors of the last finite epoch \(\d of 5 completed\)/);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { final: { diverged: { step: number } } };
    expect(m.final.diverged.step).toBeGreaterThanOrEqual(0);
    const t = readSafetensors(new Uint8Array(readFileSync(join(out, 'prompt.safetensors')))).tensors;
    for (const [k, v] of Object.entries(t)) expect((v.data as Float32Array).every(Number.isFinite), k).toBe(true);
  });
});
