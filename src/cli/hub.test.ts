// The files users bring from the model hubs, as random-weight stand-ins of the same structure
// (tests/fixtures/hub, made by scripts/make_hub_standins.py): each is inspected and trains one epoch with
// `vp-studio train` and no size flag, with every method its family allows (lp head) and every head it allows
// (LoR-VP); input gradients through the opset-7 BatchNorm ResNet, the free-size optimum ViT and the fp16 ViT
// match torch.autograd; fixed-batch exports re-batched compute what the file computes at its own batch.
import { mkdtempSync, readdirSync, readFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../io/npy.ts';
import { loadBackbone } from '../onnx/backbone.ts';
import { decodeModel, encodeModel } from '../onnx/codec.ts';
import { prepareGraph } from '../onnx/load.ts';
import { createSession, runSession } from '../runtime/ort-node.ts';
import { rebatchedRowsError, relErr, runCli as cli } from './cli-harness.ts';

const REPO = join(import.meta.dirname, '../..');
const HUB = join(REPO, 'tests/fixtures/hub');
const DATA = join(REPO, 'tests/fixtures/train/data');
const tmp = mkdtempSync(join(tmpdir(), 'vp-hub-'));

interface Meta { name: string; file: string; family: 'vit' | 'resnet' | 'cnn'; classifier: boolean; fixed_batch: number | null; file_variant: string; opset: number }
const fixtures: Meta[] = existsSync(HUB)
  ? readdirSync(HUB).filter((d) => existsSync(join(HUB, d, 'meta.json'))).map((d) => ({ ...JSON.parse(readFileSync(join(HUB, d, 'meta.json'), 'utf8')), name: d }))
  : [];

describe('hub backbones (stand-ins)', () => {
  it('has the stand-ins of every structure the issue lists', () => {
    const names = fixtures.map((f) => f.name);
    for (const n of ['zoo-resnet18-v1-7', 'zoo-resnet50-v1-12', 'zoo-mobilenetv2-7', 'zoo-mobilenetv2-10', 'zoo-mobilenetv2-12', 'optimum-vit-o11',
      'optimum-vit-o14-sdpa', 'optimum-vit-o17', 'optimum-resnet', 'timm-vit-fixed-batch', 'vit-in21k-features', 'optimum-vit-fp16',
      'optimum-resnet-fp16', 'optimum-vit-quantized']) expect(names).toContain(n);
  });

  for (const f of fixtures) {
    const dir = join(HUB, f.name);
    describe(f.name, () => {
      it('inspect says what loading did', async () => {
        const r = await cli(['inspect', dir]);
        expect(r.err).toBe('');
        const j = JSON.parse(r.out) as { family: string; opset: number; loading: string[]; features?: { source?: string } };
        expect(j.family === 'cnn' || j.family === f.family).toBe(true);
        expect(j.opset).toBeGreaterThanOrEqual(13);
        const notes = j.loading.join('\n');
        if (f.opset < 13) expect(notes).toMatch(/upgraded opset \d+ → 13/);
        if (f.fixed_batch !== null) expect(notes).toMatch(/fixed batch 1 .*re-specialised/);
        if (f.file_variant === 'fp16') expect(notes).toMatch(/upcast/);
        if (f.file_variant === 'quantized') expect(notes).toMatch(/dequantized/);
        if (!f.classifier) expect(j.features?.source).toMatch(/CLS token|pooler/);
        expect(notes).toMatch(/L = 224/);
      });

      const methods = ['lorvp', 'pad', 'none', ...(f.family === 'vit' ? ['vpt', 'vpt-deep'] : [])];
      const configs = [...methods.map((m) => [m, 'lp']), ...(f.classifier ? ['fm', 'flm', 'ilm'].map((h) => ['lorvp', h]) : [])];
      it(`trains one epoch with ${configs.map((c) => c.join('+')).join(', ')} (no size flag)`, async () => {
        for (const [method, head] of configs) {
          const out = join(tmp, `${f.name}-${method}-${head}`);
          // random-weight stand-ins have large logits: a small learning rate keeps them from diverging (they are here to
          // show that every structure trains, not to learn)
          const r = await cli(['train', '--model', dir, '--data', join(DATA, 'train'), '--val', join(DATA, 'val'), '--method', method, '--head', head,
            '--epochs', '1', '--batch-size', '8', '--lr', '1e-4', '--pad-width', '16', '--quiet', '--out', out]);
          expect(r.err, `${method}+${head}`).toBe('');
          expect(r.code).toBe(0);
          const lines = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>);
          const epoch = lines.find((l) => 'val_acc' in l)!;
          expect(Number.isFinite(epoch.train_loss), `${method}+${head} loss`).toBe(true);
          expect(epoch.val_acc).toBeGreaterThanOrEqual(0);
          const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { preprocessing: { inputSize: number; mean: number[] }; loading: string[] };
          expect(manifest.preprocessing.inputSize).toBe(224);
          expect(manifest.loading.length).toBeGreaterThan(0);
        }
        if (!f.classifier) {
          const r = await cli(['train', '--model', dir, '--data', join(DATA, 'train'), '--head', 'flm', '--epochs', '1', '--quiet', '--out', join(tmp, `${f.name}-flm`)]);
          expect(r.code).toBe(1);
          expect(r.err).toMatch(/^vp-studio: head flm .*feature extractor with no classifier: use head lp\n$/);
        }
      }, 240_000);
    });
  }

  it('every downloadable catalogue entry names the stand-in that reproduces its structure, and its size, digest or why not', () => {
    const cat = JSON.parse(readFileSync(join(REPO, 'models/catalog.json'), 'utf8')) as { backbones: Record<string, unknown>[] };
    const downloads = cat.backbones.filter((b) => b.source === 'download');
    expect(downloads.map((b) => b.id)).toEqual(expect.arrayContaining(['onnx-zoo-resnet50-v1-12', 'hf-xenova-vit-base-patch16-224-in21k',
      // the LoR-VP paper's backbones with a public ONNX file: mobilenet, swin_b, vit_b_32, vit_l_16, a ResNet-50-21K
      'onnx-zoo-mobilenetv2-12', 'onnx-zoo-timm-swin-base-patch4-window7-224', 'onnx-zoo-timm-vit-base-patch32-224', 'hf-xenova-vit-large-patch16-224',
      'onnx-zoo-timm-resnetv2-50x1-bitm-in21k']));
    expect(downloads.map((b) => b.id)).not.toContain('onnx-zoo-resnet50-v1-7');
    // stand-ins of the first hub round (tests/fixtures/hub, trained above) and the second (hub-next: hub-next.test / hub-swin.test)
    const NEXT = join(REPO, 'tests/fixtures/hub-next');
    const standIns = [...fixtures.map((f) => f.name), ...readdirSync(NEXT).filter((d) => existsSync(join(NEXT, d, 'meta.json')))];
    for (const b of downloads) {
      expect(standIns, String(b.id)).toContain(b.standIn);
      expect(b.inputSize).toBe(224);
      expect((b.mean as number[]).length).toBe(3);
      if (b.sha256) expect(Number.isInteger(b.sizeBytes), String(b.id)).toBe(true);
      else expect(b.sha256Note).toMatch(/recorded at the first download/);
    }
  });

  it('the model\'s preprocessor_config.json sets the normalisation and the run records the source class names', async () => {
    const out = join(tmp, 'meta-run');
    const r = await cli(['train', '--model', join(HUB, 'optimum-vit-o17'), '--data', join(DATA, 'train'), '--val', join(DATA, 'val'), '--method', 'lorvp', '--head', 'flm', '--epochs', '1', '--batch-size', '8', '--quiet', '--out', out]);
    expect(r.code).toBe(0);
    const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as { preprocessing: { mean: number[]; std: number[] }; sourceClasses: string[] };
    expect(m.preprocessing.mean).toEqual([0.5, 0.5, 0.5]);
    expect(m.preprocessing.std).toEqual([0.5, 0.5, 0.5]);
    const cfg = JSON.parse(readFileSync(join(HUB, 'optimum-vit-o17', 'config.json'), 'utf8')) as { id2label: Record<string, string> };
    expect(m.sourceClasses).toEqual(Object.values(cfg.id2label));
  }, 60_000);

  it('--input-size pins a free-size CNN and is refused where the graph fixes L', async () => {
    const r = await cli(['inspect', join(HUB, 'optimum-resnet'), '--input-size', '160']);
    expect((JSON.parse(r.out) as { loading: string[] }).loading.join('\n')).toMatch(/pinned to \[batch_size,3,160,160\] \(L = 160 from chosen\)/);
    const v = await cli(['inspect', join(HUB, 'optimum-vit-o14-sdpa'), '--input-size', '160']);
    expect(v.code).toBe(1);
    expect(v.err).toMatch(/input size 160 does not fit this backbone: its position embeddings of 14×14 patches of 16 fix it at 224/);
  });

  for (const name of ['vit-in21k-features', 'dinov2-features']) {
    it(`${name}: the features output is the CLS token of the file's last_hidden_state (a run-time Resize folded)`, async () => {
      const dir = join(HUB, name), raw = new Uint8Array(readFileSync(join(dir, 'model.onnx')));
      const g = prepareGraph(decodeModel(loadBackbone(raw, { preprocessorSize: 224 }).bytes), { batch: 2 });
      expect(g.nodes.some((n) => n.opType === 'Resize')).toBe(false);
      const x = new Float32Array(2 * 3 * 224 * 224).map((_, i) => Math.cos(i * 0.11) * 0.9);
      const s = await createSession(g), s0 = await createSession(decodeModel(raw));
      const feeds = { [g.inputs[0].name]: { dtype: 'float32' as const, shape: [2, 3, 224, 224], data: x } };
      const f = (await runSession(s, feeds))[g.outputs[0].name];
      const h = (await runSession(s0, feeds)).last_hidden_state;
      const [, T, D] = h.shape;
      expect(f.shape).toEqual([2, D]);
      const hd = h.data as Float32Array, cls = new Float32Array(2 * D);
      for (let b = 0; b < 2; b++) cls.set(hd.subarray(b * T * D, b * T * D + D), b * D);
      expect(relErr(f.data as Float32Array, cls)).toBeLessThan(1e-5);
      await s.release(); await s0.release();
    }, 60_000);
  }

  const gradCases: [string, number][] = [['zoo-resnet18-v1-7', 1e-4], ['optimum-vit-o14-sdpa', 1e-4], ['optimum-vit-fp16', 5e-3]];
  for (const [name, tol] of gradCases) {
    it(`vp-studio grad through ${name} matches torch.autograd (≤ ${tol} relative)`, async () => {
      const dir = join(HUB, name), out = join(tmp, `${name}-grad.npy`);
      const r = await cli(['grad', dir, '--input', join(dir, 'x.npy'), '--cotangent', join(dir, 'cotangent.npy'), '--out', out]);
      expect(r.err).toBe('');
      const got = readNpy(new Uint8Array(readFileSync(out))).data as Float32Array;
      const want = readNpy(new Uint8Array(readFileSync(join(dir, 'grad.npy')))).data as Float32Array;
      const e = relErr(got, want);
      expect(e).toBeLessThan(tol);
      // fp16: the error is fp16 weight rounding, not noise: it is well above float32's
      if (name.includes('fp16')) expect(e).toBeGreaterThan(1e-5);
    }, 120_000);
  }

  for (const name of ['timm-vit-fixed-batch', 'zoo-mobilenetv2-7']) {
    it(`${name}: re-batched to 3, each row equals the file run at its own batch of 1`, async () => {
      const dir = join(HUB, name);
      const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
      const raw = new Uint8Array(readFileSync(join(dir, meta.file)));
      const canon = loadBackbone(raw).bytes;
      const g3 = prepareGraph(decodeModel(canon), { batch: 3 });
      expect(g3.inputs[0].dims).toEqual([3, 3, 224, 224]);
      expect(await rebatchedRowsError(raw, g3)).toBeLessThan(1e-5);
      expect(encodeModel(g3).length).toBeGreaterThan(0);
    }, 60_000);
  }
});
