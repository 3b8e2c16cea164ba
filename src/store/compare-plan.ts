// The settings of "Compare methods": every method the backbone supports at its paper's preset (presets.ts) scaled
// to the backbone (pad width and warm-up), all with the same new linear head (lp) and the same image budget
// (epochs × training images, one batch size), plus one sentence per method saying what it changes in the input
// or the tokens. Pure: the studio (studio.ts) and scripts/compare-methods.mjs build their runs from it, so what the
// panel shows is what runs and what the README's table measured.
import type { Family } from '../engine/analyze.ts';
import type { Method, TrainConfig } from '../engine/config.ts';
import { PRESETS } from './presets.ts';

/** Epochs of a comparison on the demo data: measured to separate the methods (scripts/compare-methods.mjs). */
export const COMPARE_EPOCHS = 10;

/** The learning rates a backbone's catalogue entry recommends (models/starters.json): head, and prompt (0: same). */
export interface Recommended { lr: number; promptLr: number }

export interface CompareEntry {
  method: Method;
  label: string;
  /** The whole configuration the run trains with. */
  cfg: TrainConfig;
  /** One sentence: what the method changes in the input or the tokens. */
  changes: string;
  /** Where each learning rate comes from, in words. */
  why: string;
}

/** What each method changes in the input or the tokens (the project's METHODS.md notes and the papers), one sentence each. */
export const CHANGES: Record<Method, string> = {
  lorvp: "LoR-VP adds one learned image P = B·A (a rank-r product per colour channel) to every input before normalisation, x' = normalise(x + B·A), so every pixel can move but the whole prompt has only 2·3·L·r numbers.",
  vpt: 'VPT leaves the pixels alone and inserts p learned tokens after the CLS token, before the patch tokens (with no position embedding), which every transformer block attends to.',
  'vpt-deep': 'VPT-deep leaves the pixels alone and replaces p learned tokens after the CLS token before every transformer block, so each block gets prompts of its own.',
  pad: "The pad prompt adds a learned frame p pixels wide to the normalised image, x' = normalise(x) + frame, and leaves the centre untouched.",
  none: 'The linear probe changes nothing in the input or the tokens: only a new linear layer on the frozen features learns (the baseline every prompt must beat).',
};

/** The preset each compared method starts from, and the prompt learning rate its paper uses. */
const PLAN: { method: Method; preset: string; label: string; paperPromptLr: number; vitOnly?: boolean }[] = [
  { method: 'lorvp', preset: 'lorvp', label: 'LoR-VP', paperPromptLr: 0.02 },
  { method: 'vpt', preset: 'vpt', label: 'VPT (shallow)', paperPromptLr: 0.25, vitOnly: true },
  { method: 'pad', preset: 'pad', label: 'Pad prompt', paperPromptLr: 40 },
  { method: 'none', preset: 'probe', label: 'Linear probe', paperPromptLr: 0 },
];

export const stepsPerEpoch = (trainImages: number, batchSize: number): number => Math.max(1, Math.ceil(trainImages / Math.max(1, batchSize)));

/**
 * The comparison's runs for a backbone: the user's data settings (batch, seed, normalisation, split) kept, epochs set
 * to the comparison budget, each method's preset applied (pad width 30·L/224, warm-up scaled to the run) with the lp
 * head; one head learning rate for all (the backbone's recommended one, else the form's); the prompt learns at its
 * paper's rate (LoR-VP: the backbone's recommended prompt rate where it has one).
 */
export function compareEntries(o: { base: TrainConfig; family: Family; inputSize: number; trainImages: number; epochs?: number; recommended?: Recommended }): CompareEntry[] {
  const common: TrainConfig = { ...o.base, epochs: o.epochs ?? COMPARE_EPOCHS, head: 'lp', augment: false };
  const spe = stepsPerEpoch(o.trainImages, common.batchSize);
  const rec = o.recommended;
  return PLAN.filter((p) => !p.vitOnly || o.family === 'vit').map((p) => {
    const preset = PRESETS.find((x) => x.id === p.preset);
    if (!preset) throw new Error(`no preset ${p.preset}`);
    const cfg: TrainConfig = { ...preset.apply(common, o.inputSize, spe), head: 'lp', lr: rec?.lr ?? o.base.lr, promptLr: 0 };
    let why = rec ? `head lr ${rec.lr} (recommended for this backbone)` : `head lr ${o.base.lr} (the form's)`;
    const promptLr = p.method === 'lorvp' && rec ? rec.promptLr || rec.lr : p.paperPromptLr;
    if (p.method !== 'none') {
      cfg.promptLr = promptLr === cfg.lr ? 0 : promptLr;
      why += p.method === 'lorvp' && rec ? `, prompt lr ${promptLr} (recommended)` : `, prompt lr ${promptLr} (the paper's)`;
    }
    return { method: p.method, label: p.label, cfg, changes: CHANGES[p.method], why };
  });
}

/** The settings of an entry worth showing, in one line (what differs between methods, and the shared budget). */
export function settingsLine(e: CompareEntry): string {
  const c = e.cfg, parts: string[] = [];
  if (c.method === 'lorvp') parts.push(`rank ${c.rank}`, `init ${c.init}`);
  if (c.method === 'pad') parts.push(`width ${c.padWidth} px`);
  if (c.method === 'vpt' || c.method === 'vpt-deep') parts.push(`${c.tokens} tokens`);
  parts.push(`${c.optimizer.toUpperCase()} lr ${c.lr}${c.promptLr ? ` (prompt ${c.promptLr})` : ''}`, `momentum ${c.momentum}`, `weight decay ${c.weightDecay}`,
    `${c.scheduler}${c.warmup ? ` after ${c.warmup} warm-up steps` : ''}`, `head ${c.head}`);
  return parts.join(' · ');
}

/** The `vp-studio train` flags that train an entry's configuration (scripts/compare-methods.mjs). */
export function cliFlags(c: TrainConfig): string[] {
  const f: [string, string | number][] = [['method', c.method], ['head', c.head], ['epochs', c.epochs], ['batch-size', c.batchSize], ['lr', c.lr],
    ['optimizer', c.optimizer], ['momentum', c.momentum], ['weight-decay', c.weightDecay], ['scheduler', c.scheduler], ['warmup', c.warmup],
    ['mean', c.mean.join(',')], ['std', c.std.join(',')], ['seed', c.seed], ['val-fraction', c.valFraction]];
  if (c.promptLr) f.push(['prompt-lr', c.promptLr]);
  if (c.method === 'lorvp') f.push(['rank', c.rank], ['init', c.init]);
  if (c.method === 'pad') f.push(['pad-width', c.padWidth]);
  if (c.method === 'vpt' || c.method === 'vpt-deep') f.push(['tokens', c.tokens]);
  if (c.microBatch) f.push(['micro-batch', c.microBatch]);
  return [...f.flatMap(([k, v]) => [`--${k}`, String(v)]), ...(c.augment ? [] : ['--no-augment']), ...(c.shuffle ? [] : ['--no-shuffle'])];
}
