// A run's settings as `vp-studio train` flags (strings; true/false for the switches), both ways. Every checkpoint
// stores them — written by the studio, the CLI or `python -m vp_studio.train` — so any of the three continues it
// with --resume; the studio reads them back to resume a run trained elsewhere. Pure: no Node, no DOM.
// Invariants: configOfFlags(flagsOfConfig(cfg, …)) equals cfg for every TrainConfig; number formatting is
// JavaScript's String(x), as Python's flags_from_settings writes it (python/vp_studio/runfiles.py).
import { DEFAULTS, type TrainConfig } from './config.ts';

export const IMAGENET_MEAN = '0.485,0.456,0.406', IMAGENET_STD = '0.229,0.224,0.225';

/** The train command's flags (as commander hands them over, and as checkpoints store them). */
export interface TrainFlags {
  model: string; data: string; out: string; resume?: string; val?: string; initFrom?: string;
  method: string; head: string; rank: string; init: string; padWidth: string; tokens: string; mappingFreq: string;
  epochs: string; batchSize: string; lr: string; promptLr?: string; optimizer: string; momentum: string; weightDecay: string;
  scheduler: string; warmup: string; mean?: string; std?: string; seed: string; shuffle: boolean; augment: boolean;
  valFraction: string; microBatch: string; inputSize?: string; memoryBudget?: string; threads?: string; ep?: string; quiet?: boolean; verbose?: boolean;
}

/** Where a run's files live, as its flags name them (paths as the writer knew them; a reader may override). */
export interface RunPlaces { model: string; data: string; val?: string; out: string; inputSize: number }

export function flagsOfConfig(cfg: TrainConfig, at: RunPlaces): TrainFlags {
  const s = (x: number) => String(x);
  return {
    model: at.model, data: at.data, out: at.out, ...(at.val ? { val: at.val } : {}),
    method: cfg.method, head: cfg.head, rank: s(cfg.rank), init: cfg.init, padWidth: s(cfg.padWidth), tokens: s(cfg.tokens),
    mappingFreq: s(cfg.mappingFreq), epochs: s(cfg.epochs), batchSize: s(cfg.batchSize), lr: s(cfg.lr),
    ...(cfg.promptLr ? { promptLr: s(cfg.promptLr) } : {}), optimizer: cfg.optimizer, momentum: s(cfg.momentum),
    weightDecay: s(cfg.weightDecay), scheduler: cfg.scheduler, warmup: s(cfg.warmup), mean: cfg.mean.map(s).join(','),
    std: cfg.std.map(s).join(','), seed: s(cfg.seed), shuffle: cfg.shuffle, augment: cfg.augment, valFraction: s(cfg.valFraction),
    microBatch: s(cfg.microBatch), inputSize: s(at.inputSize),
  };
}

/** The TrainConfig that flags stand for; `fail` makes the error of a value that is not a number (one line naming the flag). */
export function configOfFlags(f: TrainFlags, fail: (message: string) => Error = (m) => new Error(m)): TrainConfig {
  const num = (flag: string, v: string): number => {
    const x = Number(v);
    if (v.trim() === '' || !Number.isFinite(x)) throw fail(`--${flag} must be a number, got "${v}"`);
    return x;
  };
  const triple = (flag: string, v: string): number[] => {
    const xs = v.split(',').map((x) => num(flag, x));
    if (xs.length !== 3) throw fail(`--${flag} needs 3 comma-separated values, got "${v}"`);
    return xs;
  };
  return {
    ...DEFAULTS,
    method: f.method as TrainConfig['method'], head: f.head as TrainConfig['head'], rank: num('rank', f.rank), init: f.init,
    padWidth: num('pad-width', f.padWidth), tokens: num('tokens', f.tokens), mappingFreq: num('mapping-freq', f.mappingFreq),
    epochs: num('epochs', f.epochs), batchSize: num('batch-size', f.batchSize), lr: num('lr', f.lr), promptLr: f.promptLr === undefined ? 0 : num('prompt-lr', f.promptLr),
    optimizer: f.optimizer as TrainConfig['optimizer'], momentum: num('momentum', f.momentum), weightDecay: num('weight-decay', f.weightDecay),
    scheduler: f.scheduler as TrainConfig['scheduler'], warmup: num('warmup', f.warmup), mean: triple('mean', f.mean ?? IMAGENET_MEAN), std: triple('std', f.std ?? IMAGENET_STD),
    seed: num('seed', f.seed), shuffle: f.shuffle, augment: f.augment, valFraction: num('val-fraction', f.valFraction), microBatch: num('micro-batch', f.microBatch),
  };
}
