// The second round of hub files (tests/fixtures/hub-next, made by scripts/make_hub_standins_next.py): DeiT
// distilled, DINOv2 with registers and with an antialiased position Resize, HF CLIP (with and without projection),
// open_clip's visual tower, average-pool ViTs with and without a class token, ConvNeXt V2 (GRN), BiT's ResNetV2
// (weight standardisation). Each is inspected
// (family, prefix tokens, the features lp reads, the load check), trains one epoch with every method its family
// allows and every head it allows (no size flag), and `vp-studio grad` through it matches torch.autograd.
// tf2onnx's NHWC EfficientNet-Lite trains through an input Transpose, its Softmax output dropped for the logits (its
// grad fixture is channels-last: the load check covers its forward). Swin and BEiT are in hub-swin.test.ts.
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../io/npy.ts';
import { relErr, runCli as cli } from './cli-harness.ts';

const REPO = join(import.meta.dirname, '../..');
const HUB = join(REPO, 'tests/fixtures/hub-next');
const DATA = join(REPO, 'tests/fixtures/train/data');
const tmp = mkdtempSync(join(tmpdir(), 'vp-hub-next-'));

interface Meta { family: 'vit' | 'cnn'; classifier: boolean; prefix_tokens: number | null }
/** Per stand-in: the lp features inspect must name (a pattern), and grad's tolerance against torch. */
const CASES: Record<string, { features?: RegExp; grad?: string; loading?: RegExp; noGrad?: boolean }> = {
  'deit-distilled': {},
  'dinov2-registers': { features: /^CLS token of 'last_hidden_state'/ },
  // the file's antialiased bicubic (a = −0.75, as exported) is not torch's (Pillow's a = −0.5): grad_exact.npy is
  // torch's gradient through the file's own resized grid; grad.npy torch's antialias, measured below
  'dinov2-antialias': { features: /^CLS token of 'last_hidden_state'/, grad: 'grad_exact.npy' },
  'clip-vision-hf': { features: /^'pooler_output': the CLS token after the final LayerNorm/ },
  'clip-vision-proj-hf': { features: /the input of the projection to the embedding 'image_embeds' \(an embedding model: no classes/ },
  'openclip-visual': { features: /the input of the projection to the embedding 'embedding' \(an embedding model: no classes/ },
  'vit-avgpool-cls': {},
  'vit-gap-noclass': {},
  convnextv2: {},
  // timm ResNetV2 (BiT, ImageNet-21k) as the Model Zoo's turnkey export: StdConv2d's training-mode BatchNormalization
  // of constant weights folded, the 1×1 Conv classifier after a keepdims ReduceMean read as a linear layer
  'resnetv2-bit-fixed-batch': {
    loading: /weight standardisation: 17 BatchNormalization\(training_mode=1\) of constant weights folded[^\n]*\nhead: the 1×1 Conv classifier read as a linear layer/,
  },
  'efficientnet-lite-nhwc': {
    loading: /input 'images:0' \[1,224,224,3\] is channels-last \(NHWC\): read as NCHW \[1,3,224,224\][^\n]*\noutput 'Softmax:0' is a Softmax: the head reads the logits before it/,
    noGrad: true,
  },
};

const npy = (p: string) => readNpy(new Uint8Array(readFileSync(p))).data as Float32Array;

describe.runIf(existsSync(HUB))('hub stand-ins, second round', () => {
  for (const [name, c] of Object.entries(CASES)) {
    const dir = join(HUB, name);
    const meta = JSON.parse(readFileSync(join(dir, 'meta.json'), 'utf8')) as Meta;
    describe(name, () => {
      it('inspect: family, prefix tokens, features, and the load check', async () => {
        const r = await cli(['inspect', dir]);
        expect(r.err).toBe('');
        const j = JSON.parse(r.out) as { family: string; vit?: { prefixTokens: number }; features?: { source?: string }; loading: string[] };
        expect(j.family).toBe(meta.family);
        if (meta.family === 'vit') expect(j.vit?.prefixTokens).toBe(meta.prefix_tokens);
        if (c.features) expect(j.features?.source).toMatch(c.features);
        expect(j.loading.join('\n')).toMatch(/checked against the file on a random batch of [12]: max rel\. error \S+ \(allowed 1\.0e-4/);
        if (c.loading) expect(j.loading.join('\n')).toMatch(c.loading);
      });

      const methods = ['lorvp', 'pad', 'none', ...(meta.family === 'vit' ? ['vpt', 'vpt-deep'] : [])];
      const configs = [...methods.map((m) => [m, 'lp']), ...(meta.classifier ? ['fm', 'flm', 'ilm'].map((h) => ['lorvp', h]) : [])];
      it(`trains one epoch with ${configs.map((x) => x.join('+')).join(', ')}`, async () => {
        for (const [method, head] of configs) {
          const out = join(tmp, `${name}-${method}-${head}`);
          const r = await cli(['train', '--model', dir, '--data', join(DATA, 'train'), '--val', join(DATA, 'val'), '--method', method, '--head', head,
            '--epochs', '1', '--batch-size', '8', '--lr', '1e-4', '--pad-width', '16', '--tokens', '3', '--quiet', '--out', out]);
          expect(r.err, `${method}+${head}`).toBe('');
          const epoch = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, number>).find((l) => 'val_acc' in l)!;
          expect(Number.isFinite(epoch.train_loss), `${method}+${head} loss`).toBe(true);
        }
        if (!meta.classifier) {
          const r = await cli(['train', '--model', dir, '--data', join(DATA, 'train'), '--head', 'fm', '--epochs', '1', '--quiet', '--out', join(tmp, `${name}-fm`)]);
          expect(r.code).toBe(1);
          expect(r.err).toMatch(/^vp-studio: head fm .*feature extractor with no classifier: use head lp\n$/);
        }
      }, 300_000);

      it.skipIf(c.noGrad)(`vp-studio grad matches torch.autograd (≤ 1e-4 relative, ${c.grad ?? 'grad.npy'})`, async () => {
        const out = join(tmp, `${name}-grad.npy`);
        const r = await cli(['grad', dir, '--input', join(dir, 'x.npy'), '--cotangent', join(dir, 'cotangent.npy'), '--out', out]);
        expect(r.err).toBe('');
        expect(relErr(npy(out), npy(join(dir, c.grad ?? 'grad.npy')))).toBeLessThan(1e-4);
        if (c.grad) {
          // against torch's own antialias: the filters differ (a = −0.75 vs −0.5), measured 3.6e-2 of max |grad|
          const e = relErr(npy(out), npy(join(dir, 'grad.npy')));
          expect(e).toBeGreaterThan(1e-2);
          expect(e).toBeLessThan(6e-2);
        }
      }, 120_000);
    });
  }
});
