// Training configuration: methods, heads, optimiser and schedule settings with the papers' defaults, and the
// validation that refuses impossible combinations with one clear sentence.
import type { Family } from './analyze.ts';

export type Method = 'lorvp' | 'pad' | 'vpt' | 'vpt-deep' | 'none';
export type HeadKind = 'lp' | 'fm' | 'flm' | 'ilm';
export type OptimizerKind = 'sgd' | 'adamw';
export type SchedulerKind = 'cosine' | 'multistep' | 'constant';
export const METHODS: Method[] = ['lorvp', 'pad', 'vpt', 'vpt-deep', 'none'];
export const HEADS: HeadKind[] = ['lp', 'fm', 'flm', 'ilm'];
export const INITS = ['zero', 'normal', 'random', 'xavier', 'kaiming', 'uniform'] as const;
export type InitKind = (typeof INITS)[number];

export interface TrainConfig {
  method: Method;
  head: HeadKind;
  rank: number;
  /** LoR-VP init "<B>,<A>". */
  init: string;
  padWidth: number;
  tokens: number;
  mappingFreq: number;
  epochs: number;
  batchSize: number;
  lr: number;
  /** Learning rate of the prompt's tensors (prompt.*), following the same schedule; 0: the same as `lr` (the
   * head and the prompt are separate parameter groups, as the papers' code tunes them). */
  promptLr: number;
  optimizer: OptimizerKind;
  momentum: number;
  weightDecay: number;
  scheduler: SchedulerKind;
  /** Linear warm-up steps. */
  warmup: number;
  mean: number[];
  std: number[];
  seed: number;
  shuffle: boolean;
  augment: boolean;
  /** Micro-batch size for gradient accumulation (0: the whole batch in one step). */
  microBatch: number;
  /** Fraction of each class held out for validation when no validation set is given. */
  valFraction: number;
}

export const DEFAULTS: TrainConfig = {
  method: 'lorvp', head: 'lp', rank: 4, init: 'zero,normal', padWidth: 30, tokens: 5, mappingFreq: 1,
  epochs: 20, batchSize: 32, lr: 0.02, promptLr: 0, optimizer: 'sgd', momentum: 0.9, weightDecay: 1e-4,
  scheduler: 'cosine', warmup: 0, mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], seed: 0,
  shuffle: true, augment: true, valFraction: 0.2, microBatch: 0,
};

export class ConfigError extends Error {}

export function parseInit(init: string): [InitKind, InitKind] {
  const parts = init.split(',').map((s) => s.trim());
  if (parts.length !== 2) throw new ConfigError(`--init must be "<B>,<A>" (e.g. zero,normal), got "${init}"`);
  for (const p of parts) if (!(INITS as readonly string[]).includes(p)) throw new ConfigError(`unknown init "${p}" (choose from ${INITS.join(', ')})`);
  return parts as [InitKind, InitKind];
}

/** Throws ConfigError naming the first problem of a configuration for a given backbone. */
export function validateConfig(c: TrainConfig, backbone: { family: Family; inputSize: number; numSourceClasses?: number; hasFeatures: boolean; featureExtractor?: boolean }, numClasses: number): void {
  if (!METHODS.includes(c.method)) throw new ConfigError(`unknown method "${c.method}" (choose from ${METHODS.join(', ')})`);
  if (!HEADS.includes(c.head)) throw new ConfigError(`unknown head "${c.head}" (choose from ${HEADS.join(', ')})`);
  if ((c.method === 'vpt' || c.method === 'vpt-deep') && backbone.family === 'swin') throw new ConfigError(`${c.method} on a Swin backbone is not supported yet (its prompts must join every window's attention, as VPT's Swin code does); use lorvp, pad or none`);
  if ((c.method === 'vpt' || c.method === 'vpt-deep') && backbone.family !== 'vit') throw new ConfigError(`${c.method} needs a ViT backbone (a patch embedding and transformer blocks); this backbone looks like a ${backbone.family}`);
  if (c.method === 'lorvp') { parseInit(c.init); if (!(c.rank >= 1 && Number.isInteger(c.rank))) throw new ConfigError(`--rank must be a positive integer, got ${c.rank}`); }
  if (c.method === 'pad' && !(c.padWidth >= 1 && 2 * c.padWidth < backbone.inputSize)) throw new ConfigError(`--pad-width ${c.padWidth} does not fit a ${backbone.inputSize}×${backbone.inputSize} input (need 1 ≤ p < ${backbone.inputSize / 2})`);
  if ((c.method === 'vpt' || c.method === 'vpt-deep') && !(c.tokens >= 1 && Number.isInteger(c.tokens))) throw new ConfigError(`--tokens must be a positive integer, got ${c.tokens}`);
  if (c.head === 'lp' && !backbone.hasFeatures) throw new ConfigError('head lp needs the penultimate features, but no final linear layer was found in this backbone');
  if ((c.head === 'flm' || c.head === 'ilm' || c.head === 'fm') && backbone.featureExtractor) throw new ConfigError(`head ${c.head} maps the backbone's class scores, but this model is a feature extractor with no classifier: use head lp`);
  if ((c.head === 'flm' || c.head === 'ilm' || c.head === 'fm') && !backbone.numSourceClasses) throw new ConfigError(`head ${c.head} needs the backbone's source logits, but its output is not a [N, classes] tensor`);
  if ((c.head === 'flm' || c.head === 'ilm') && numClasses > (backbone.numSourceClasses ?? 0)) throw new ConfigError(`head ${c.head} maps each target class to its own source class: ${numClasses} target classes but the backbone has only ${backbone.numSourceClasses}`);
  if (c.method === 'none' && (c.head === 'flm' || c.head === 'ilm')) throw new ConfigError(`method none with head ${c.head} has nothing to train`);
  if (numClasses < 2) throw new ConfigError(`need at least 2 classes, found ${numClasses}`);
  if (!(c.epochs >= 1) || !(c.batchSize >= 1)) throw new ConfigError('--epochs and --batch-size must be at least 1');
  if (!(c.lr > 0)) throw new ConfigError(`--lr must be positive, got ${c.lr}`);
  if (!((c.promptLr ?? 0) >= 0)) throw new ConfigError(`--prompt-lr must be positive (or 0: the same as --lr), got ${c.promptLr}`);
  if (c.mean.length !== 3 || c.std.length !== 3 || c.std.some((s) => !(s > 0))) throw new ConfigError('--mean and --std need 3 values each (std > 0)');
  if (c.microBatch && !(Number.isInteger(c.microBatch) && c.microBatch >= 1 && c.microBatch <= c.batchSize)) throw new ConfigError(`--micro-batch must be an integer in [1, --batch-size], got ${c.microBatch}`);
  if (c.mappingFreq < 1) throw new ConfigError('--mapping-freq must be at least 1');
}

/** Learning rate for step t of T, stepped every iteration: linear warm-up lr·(t+1)/W for t < W, then the schedule
 * over the remaining U = T − W steps (u = t − W): cosine lr·½(1+cos(πu/U)); multistep ×0.1 at ⌊0.5U⌋ and ⌊0.72U⌋. */
export function lrAt(c: TrainConfig, t: number, total: number): number {
  const w = Math.min(c.warmup, total);
  if (t < w) return (c.lr * (t + 1)) / w;
  const tt = t - w, T = total - w;
  switch (c.scheduler) {
    case 'constant': return c.lr;
    case 'multistep': return c.lr * (tt >= Math.floor(0.72 * T) ? 0.01 : tt >= Math.floor(0.5 * T) ? 0.1 : 1);
    case 'cosine': return T <= 0 ? c.lr : c.lr * 0.5 * (1 + Math.cos((Math.PI * tt) / T));
  }
}
