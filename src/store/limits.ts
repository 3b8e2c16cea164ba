// The settings checked against the data and the device before Train is enabled, each problem tied to the field
// that must change: the batch against the training images the split leaves, the learning rates, the engine's own
// configuration checks (its message names the field) and the step's memory plan (a budget and, on a GPU, a binding
// limit that some micro-batch must fit). Pure functions of the state, so Node tests cover them.
import { valCount } from '../data/split.ts';
import type { DatasetSummary } from '../worker/protocol.ts';
import type { StudioState } from './state.ts';

/** Field labels as the Method panel shows them (the keys of fieldErrors and of settingProblems). */
export const FIELDS = ['batch size', 'micro-batch', 'epochs', 'learning rate', 'prompt learning rate', 'rank r', 'pad width p', 'prompt tokens',
  'mapping every (epochs)', 'GPU memory budget (MiB)', 'validation share', 'momentum', 'weight decay', 'warm-up steps', 'seed'] as const;

/** How many images the run will train on: the train/ folder, or what the per-class split leaves for training. */
export function trainImages(summary: DatasetSummary, valFraction: number): number {
  const given = summary.counts.val.reduce((a, b) => a + b, 0);
  if (summary.layout === 'splits' && given > 0) return summary.counts.train.reduce((a, b) => a + b, 0);
  if (!(valFraction >= 0 && valFraction < 1)) return summary.counts.train.reduce((a, b) => a + b, 0);
  return summary.counts.train.reduce((a, n) => a + n - valCount(n, valFraction), 0);
}

/** The settings whose memory plan is current (the store asks the worker again when this changes). */
export function memoryKey(s: Pick<StudioState, 'cfg' | 'gpuBudgetMiB' | 'data' | 'backbone'>): string {
  return JSON.stringify([s.cfg, s.gpuBudgetMiB, s.data.summary?.classes.length ?? 2, s.backbone.sha256, s.backbone.info?.inputSize]);
}

/** The field an engine configuration message names ('"learning rate" must be positive'), else undefined. */
export function fieldOf(message: string): string | undefined {
  const named = FIELDS.filter((f) => message.includes(`"${f}"`));
  return named.sort((a, b) => message.indexOf(`"${a}"`) - message.indexOf(`"${b}"`))[0];
}

/**
 * What is wrong with the current settings for this data and device, by field label. A memory plan that cannot
 * fit is put on the field that changes it: the micro-batch when one is set, else the batch size.
 */
export function settingProblems(s: StudioState): Record<string, string> {
  const out: Record<string, string> = {};
  const put = (field: string, problem: string) => { out[field] ??= problem; };
  const c = s.cfg;
  if (!(c.lr > 0) || !Number.isFinite(c.lr)) put('learning rate', Number.isFinite(c.lr) ? 'must be greater than 0: a learning rate of 0 trains nothing' : 'must be a finite number');
  if (!Number.isFinite(c.promptLr ?? 0)) put('prompt learning rate', 'must be a finite number');
  if (s.data.summary && s.data.status === 'ready') {
    const n = trainImages(s.data.summary, c.valFraction);
    if (n === 0) put('validation share', 'leaves no training images: lower it');
    else if (c.batchSize > n) put('batch size', `must be at most ${n.toLocaleString('en-US')}: the data has ${n.toLocaleString('en-US')} training image${n === 1 ? '' : 's'}`);
  }
  if (s.plan?.error) { const f = fieldOf(s.plan.error); if (f) put(f, s.plan.error.replace(`"${f}" `, '')); }
  const mem = s.memoryPlan?.error;
  if (mem && mem !== s.plan?.error) put(c.microBatch ? 'micro-batch' : 'batch size', mem);
  return out;
}
