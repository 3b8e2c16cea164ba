// Models with external data on disk (tests/fixtures/hub-next/vit-external-data: model.onnx + model.onnx_data as
// onnx.save_model writes it; vit-external-data-multi: one file per tensor): `inspect` on the folder or the file,
// the forward of the loaded backbone against torch's output, `grad` against torch's gradient, one `train` epoch;
// and the refusals, each one line naming the model file, the tensor and the location: a location that leaves the
// folder ('../x', '/etc/passwd'), a data file that is a symlink out of the folder, a missing or truncated data file.
// Over the split threshold (lowered to 1 KiB) the whole pipeline stays split — the loaded backbone, the compiled
// steps, and the deployable model written as model.onnx + model.onnx_data — and predicts what the inline run does.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../io/npy.ts';
import { decodeModel, encodeSplit } from '../onnx/codec.ts';
import { filesResolver } from '../onnx/external.ts';
import { runGraph } from '../runtime/ort-node.ts';
import { relErr, runCli as cli } from './cli-harness.ts';
import { readBackbone } from './model.ts';
import { DEFAULT_SPLIT_THRESHOLD, setSplitThreshold } from '../onnx/session-model.ts';

const REPO = join(import.meta.dirname, '../..');
const ONE = join(REPO, 'tests/fixtures/hub-next/vit-external-data');
const MULTI = join(REPO, 'tests/fixtures/hub-next/vit-external-data-multi');
const DATA = join(REPO, 'tests/fixtures/train/data');
const tmp = mkdtempSync(join(tmpdir(), 'vp-external-'));

/** A folder holding the fixture's model re-saved with one data file named `location`, and that file at `at`. */
function variant(name: string, location: string, opts: { at?: string; truncate?: number } = {}): string {
  const dir = join(tmp, name);
  mkdirSync(dir, { recursive: true });
  const g = decodeModel(new Uint8Array(readFileSync(join(ONE, 'model.onnx'))), { external: filesResolver([{ path: 'model.onnx_data', data: new Uint8Array(readFileSync(join(ONE, 'model.onnx_data'))) }]) });
  const split = encodeSplit(g, { fileName: () => location, minBytes: 0 });
  writeFileSync(join(dir, 'model.onnx'), split.model);
  const at = opts.at ?? join(dir, location);
  mkdirSync(join(at, '..'), { recursive: true });
  writeFileSync(at, split.externalData[0].data.subarray(0, split.externalData[0].data.length - (opts.truncate ?? 0)));
  return dir;
}

describe.skipIf(!existsSync(ONE))('external data (CLI)', () => {
  it('inspect reads the folder and the file, naming the data files in what loading did', async () => {
    for (const [dir, note] of [[ONE, /^external data: model\.onnx_data \(189\.2 KiB\) read into memory$/], [join(MULTI, 'model.onnx'), /^external data: 40 data files \(\d+\.\d KiB\) read into memory$/]] as const) {
      const r = await cli(['inspect', dir]);
      expect(r.err).toBe('');
      const j = JSON.parse(r.out) as { family: string; loading: string[]; parameters: number; vit: { depth: number } };
      expect(j.family).toBe('vit');
      expect(j.vit.depth).toBe(2);
      expect(j.loading.some((l) => note.test(l)), j.loading.join('\n')).toBe(true);
      expect(j.loading.join('\n')).toMatch(/checked against the file on a random batch of 2: max rel. error/);
    }
  });

  it('the loaded backbone computes what torch computed (train-free forward)', async () => {
    for (const dir of [ONE, MULTI]) {
      const bb = await readBackbone(dir);
      expect(bb.dataFiles).toBe(dir === ONE ? 1 : 40);
      const x = readNpy(readFileSync(join(dir, 'x.npy'))), want = readNpy(readFileSync(join(dir, 'output.npy'))).data as Float32Array;
      const got = Object.values(await runGraph(bb.bytes, { pixel_values: { dtype: 'float32', shape: x.shape, data: x.data as Float32Array } }))[0].data as Float32Array;
      expect(relErr(got, want)).toBeLessThan(1e-4);
    }
  });

  it('grad matches torch.autograd and train runs an epoch', async () => {
    const out = join(tmp, 'g.npy');
    const r = await cli(['grad', ONE, '--input', join(ONE, 'x.npy'), '--cotangent', join(ONE, 'cotangent.npy'), '--out', out]);
    expect(r.err).toBe('');
    expect(relErr(readNpy(readFileSync(out)).data as Float32Array, readNpy(readFileSync(join(ONE, 'grad.npy'))).data as Float32Array)).toBeLessThan(1e-4);
    const run = join(tmp, 'run');
    const t = await cli(['train', '--model', join(MULTI, 'model.onnx'), '--data', join(DATA, 'train'), '--val', join(DATA, 'val'), '--method', 'vpt', '--head', 'lp',
      '--epochs', '1', '--batch-size', '8', '--lr', '1e-4', '--quiet', '--out', run]);
    expect(t.err).toBe('');
    expect(t.code).toBe(0);
    const epoch = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).find((l) => 'val_acc' in l)!;
    expect(Number.isFinite(epoch.train_loss)).toBe(true);
  }, 120_000);

  it('refuses data outside the folder, links out of it, and missing or short files, in one line', async () => {
    const refuse = async (dir: string) => {
      const r = await cli(['inspect', dir]);
      expect(r.code).toBe(1);
      expect(r.err.trim().split('\n')).toHaveLength(1);
      return r.err.trim();
    };
    const model = (dir: string) => join(dir, 'model.onnx');
    const up = variant('up/model', '../outside.bin');
    expect(await refuse(up)).toBe(`vp-studio: ${model(up)}: tensor 'embeddings.cls_token' (external data '../outside.bin'): the location must be a file inside the model's folder, but it has a '..' segment`);
    const abs = variant('abs', '/etc/passwd', { at: join(tmp, 'abs-data.bin') });
    expect(await refuse(abs)).toMatch(/: tensor 'embeddings\.cls_token' \(external data '\/etc\/passwd'\): the location must be a file inside the model's folder, but it is an absolute path$/);
    const back = variant('back', '..\\x.bin', { at: join(tmp, 'back-data.bin') });
    expect(await refuse(back)).toMatch(/\(external data '\.\.\\x\.bin'\): .* backslash$/);
    const link = variant('link', 'model.onnx_data', { at: join(tmp, 'elsewhere', 'weights.bin') });
    symlinkSync(join(tmp, 'elsewhere', 'weights.bin'), join(link, 'model.onnx_data'));
    expect(await refuse(link)).toBe(`vp-studio: ${model(link)}: tensor 'embeddings.cls_token' (external data 'model.onnx_data'): the data file is a link to ${join(tmp, 'elsewhere', 'weights.bin')}, outside the model's folder`);
    const inner = variant('inner', 'model.onnx_data', { at: join(tmp, 'inner', 'sub', 'real.bin') });
    symlinkSync(join('sub', 'real.bin'), join(inner, 'model.onnx_data'));   // a link that stays inside is fine
    expect((await cli(['inspect', inner])).code).toBe(0);
    const missing = join(tmp, 'missing');
    mkdirSync(missing);
    copyFileSync(join(ONE, 'model.onnx'), join(missing, 'model.onnx'));
    expect(await refuse(missing)).toBe(`vp-studio: ${model(missing)}: tensor 'embeddings.cls_token' (external data 'model.onnx_data'): the data file 'model.onnx_data' is missing (it must be beside the model)`);
    const short = variant('short', 'model.onnx_data', { truncate: 100 });
    expect(await refuse(short)).toMatch(/: tensor '[^']+' \(external data 'model\.onnx_data'\): bytes \d+\.\.\d+ are past the end of the file \(\d+ bytes\)$/);
  });

  it('over the split threshold, train writes model.onnx + model.onnx_data and predict reads them: as inline', async () => {
    const run = async (name: string) => {
      const out = join(tmp, name);
      const t = await cli(['train', '--model', ONE, '--data', join(DATA, 'train'), '--val', join(DATA, 'val'), '--method', 'lorvp', '--head', 'fm',
        '--epochs', '1', '--batch-size', '8', '--lr', '1e-4', '--quiet', '--out', out]);
      expect(t.err).toBe('');
      const p = await cli(['predict', '--run', out, join(DATA, 'val', 'a_circle', '000.png'), join(DATA, 'val', 'b_square', '000.png')]);
      expect(p.err).toBe('');
      return { out, metrics: readFileSync(join(out, 'metrics.jsonl'), 'utf8'), predictions: p.out };
    };
    const inline = await run('inline');
    expect(existsSync(join(inline.out, 'model.onnx_data'))).toBe(false);
    setSplitThreshold(1024);
    try {
      const split = await run('split');
      expect(readFileSync(join(split.out, 'model.onnx')).length).toBeLessThan(readFileSync(join(inline.out, 'model.onnx')).length / 2);
      expect(readFileSync(join(split.out, 'model.onnx_data')).length).toBeGreaterThan(190_000);
      expect(split.metrics.replace(/"(images_per_s|seconds)":[\d.e+-]+/g, '')).toBe(inline.metrics.replace(/"(images_per_s|seconds)":[\d.e+-]+/g, ''));
      expect(split.predictions).toBe(inline.predictions);
    } finally {
      setSplitThreshold(DEFAULT_SPLIT_THRESHOLD);
    }
  }, 120_000);
});
