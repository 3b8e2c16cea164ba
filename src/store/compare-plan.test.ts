import { describe, expect, it } from 'vitest';
import { DEFAULTS } from '../engine/config.ts';
import { CHANGES, cliFlags, COMPARE_EPOCHS, compareEntries, settingsLine, stepsPerEpoch } from './compare-plan.ts';
import { STUDIO_DEFAULTS } from './state.ts';

const base = { ...STUDIO_DEFAULTS, batchSize: 32, lr: 0.1, seed: 3, mean: [0.49, 0.48, 0.45], std: [0.25, 0.24, 0.26] };

describe('compare plan', () => {
  it('runs LoR-VP, pad and the probe on a ResNet, VPT too on a ViT, with the lp head and one budget', () => {
    const r = compareEntries({ base, family: 'resnet', inputSize: 32, trainImages: 2000 });
    expect(r.map((e) => e.method)).toEqual(['lorvp', 'pad', 'none']);
    const v = compareEntries({ base, family: 'vit', inputSize: 32, trainImages: 2000, epochs: 7 });
    expect(v.map((e) => e.method)).toEqual(['lorvp', 'vpt', 'pad', 'none']);
    for (const e of [...r, ...v]) {
      expect(e.cfg.head).toBe('lp');
      expect(e.cfg.batchSize).toBe(32);
      expect(e.cfg.seed).toBe(3);
      expect(e.cfg.std).toEqual([0.25, 0.24, 0.26]);
      expect(e.cfg.augment).toBe(false);
    }
    expect(r.every((e) => e.cfg.epochs === COMPARE_EPOCHS)).toBe(true);
    expect(v.every((e) => e.cfg.epochs === 7)).toBe(true);
  });

  it('scales the presets to the backbone: pad width 30·L/224, warm-up a tenth of the run', () => {
    const at = (L: number, n: number, epochs: number) => compareEntries({ base, family: 'vit', inputSize: L, trainImages: n, epochs });
    expect(stepsPerEpoch(2000, 32)).toBe(63);
    expect(at(32, 2000, 10).find((e) => e.method === 'pad')!.cfg.padWidth).toBe(4);
    expect(at(224, 2000, 10).find((e) => e.method === 'pad')!.cfg.padWidth).toBe(30);
    expect(at(384, 2000, 10).find((e) => e.method === 'pad')!.cfg.padWidth).toBe(51);
    // pad: min(1000, total/10) steps; VPT: min(10, epochs/10) epochs of steps; LoR-VP and the probe none
    const e10 = at(32, 2000, 10);
    expect(e10.find((e) => e.method === 'pad')!.cfg.warmup).toBe(63);
    expect(e10.find((e) => e.method === 'vpt')!.cfg.warmup).toBe(63);
    expect(e10.find((e) => e.method === 'lorvp')!.cfg.warmup).toBe(0);
    expect(at(32, 2000, 3).find((e) => e.method === 'vpt')!.cfg.warmup).toBe(0);
    expect(at(32, 64_000, 100).find((e) => e.method === 'pad')!.cfg.warmup).toBe(1000);
  });

  it('learning rates: one head lr (recommended, else the form), each prompt at its paper rate or the recommended one', () => {
    const rec = { lr: 0.5, promptLr: 0.02 };
    const by = (es: ReturnType<typeof compareEntries>) => Object.fromEntries(es.map((e) => [e.method, e.cfg]));
    const c = by(compareEntries({ base, family: 'vit', inputSize: 32, trainImages: 2000, recommended: rec }));
    expect([c.lorvp.lr, c.vpt.lr, c.pad.lr, c.none.lr]).toEqual([0.5, 0.5, 0.5, 0.5]);
    expect([c.lorvp.promptLr, c.vpt.promptLr, c.pad.promptLr, c.none.promptLr]).toEqual([0.02, 0.25, 40, 0]);
    // a recommended prompt lr of 0 means "the head's": stored as 0 (same as lr)
    const same = by(compareEntries({ base, family: 'resnet', inputSize: 32, trainImages: 2000, recommended: { lr: 0.5, promptLr: 0 } }));
    expect(same.lorvp.promptLr).toBe(0);
    // no recommendation: the form's head lr, LoR-VP's paper prompt lr 0.02
    const form = by(compareEntries({ base, family: 'resnet', inputSize: 32, trainImages: 2000 }));
    expect([form.lorvp.lr, form.lorvp.promptLr, form.pad.lr, form.pad.promptLr]).toEqual([0.1, 0.02, 0.1, 40]);
    // each paper's optimiser settings
    expect([c.lorvp.weightDecay, c.pad.weightDecay, c.vpt.weightDecay]).toEqual([1e-4, 0, 1e-4]);
    expect(c.lorvp.rank).toBe(4);
    expect(c.lorvp.init).toBe('zero,normal');
    expect(c.vpt.tokens).toBe(5);
  });

  it('says what each method changes, and shows its settings', () => {
    expect(CHANGES.lorvp).toContain('before normalisation');
    expect(CHANGES.pad).toContain('normalise(x) + frame');
    expect(CHANGES.vpt).toMatch(/after the CLS token, before the patch tokens/);
    expect(CHANGES.none).toMatch(/changes nothing/);
    const [lorvp, pad] = compareEntries({ base, family: 'resnet', inputSize: 32, trainImages: 2000, recommended: { lr: 0.5, promptLr: 0 } });
    expect(settingsLine(lorvp)).toBe('rank 4 · init zero,normal · SGD lr 0.5 · momentum 0.9 · weight decay 0.0001 · cosine · head lp');
    expect(settingsLine(pad)).toBe('width 4 px · SGD lr 0.5 (prompt 40) · momentum 0.9 · weight decay 0 · cosine after 63 warm-up steps · head lp');
    expect(lorvp.why).toBe('head lr 0.5 (recommended for this backbone), prompt lr 0.5 (recommended)');
  });

  it('turns a configuration into the CLI flags that train it', () => {
    const [, pad] = compareEntries({ base, family: 'resnet', inputSize: 32, trainImages: 2000, epochs: 4, recommended: { lr: 0.5, promptLr: 0 } });
    const f = cliFlags(pad.cfg);
    const flag = (k: string) => f[f.indexOf(`--${k}`) + 1];
    expect([flag('method'), flag('head'), flag('epochs'), flag('lr'), flag('prompt-lr'), flag('pad-width'), flag('warmup'), flag('weight-decay')])
      .toEqual(['pad', 'lp', '4', '0.5', '40', '4', '25', '0']);
    expect(f).toContain('--no-augment');
    expect(f).not.toContain('--rank');
    expect(cliFlags({ ...DEFAULTS, shuffle: false })).toContain('--no-shuffle');
  });
});
