// Limits checked before Train is enabled: the batch against the training images the split leaves, learning rates,
// the engine's field-named configuration errors and the memory plan, each on its field; and in the store wired to a
// real worker, batch 100000 on the 24 training images is refused at the form and no run starts.
import { describe, expect, it } from 'vitest';
import type { DatasetSummary } from '../worker/protocol.ts';
import { fieldOf, settingProblems, trainImages } from './limits.ts';
import { initialState, type StudioState } from './state.ts';
import { memoryRepo } from '../persist/runs.ts';
import { ready, until } from './test-harness.ts';
import { cannotStart } from './training.ts';

const summary = (layout: 'folders' | 'splits', train: number[], val: number[]): DatasetSummary =>
  ({ classes: train.map((_, i) => `c${i}`), layout, counts: { train, val }, thumbnails: [], skipped: [], warnings: [], total: 0 });

const withData = (s: DatasetSummary, patch: Partial<StudioState['cfg']> = {}): StudioState => {
  const st = initialState();
  return { ...st, data: { ...st.data, status: 'ready', summary: s }, cfg: { ...st.cfg, batchSize: 8, ...patch } };
};

describe('trainImages', () => {
  it('is what the per-class split leaves in a folders layout, the train/ folder in a splits layout', () => {
    // 160 per class at 0.2: 32 held out each → 3 × 128
    expect(trainImages(summary('folders', [160, 160, 160], [0, 0, 0]), 0.2)).toBe(384);
    // a class of one image keeps it for training; n ≥ 2 holds out at least one
    expect(trainImages(summary('folders', [1, 2, 10], [0, 0, 0]), 0.2)).toBe(1 + 1 + 8);
    expect(trainImages(summary('splits', [8, 8, 8], [4, 4, 4]), 0.5)).toBe(24);
    expect(trainImages(summary('folders', [5, 5], [0, 0]), 0)).toBe(10);
  });
});

describe('settingProblems', () => {
  it('puts a batch larger than the training images on the batch size, naming the count', () => {
    const p = settingProblems(withData(summary('folders', [160, 160, 160], [0, 0, 0]), { batchSize: 100000, valFraction: 0.2 }));
    expect(p['batch size']).toBe('must be at most 384: the data has 384 training images');
    expect(settingProblems(withData(summary('folders', [160, 160, 160], [0, 0, 0]), { batchSize: 384, valFraction: 0.2 }))['batch size']).toBeUndefined();
  });
  it('refuses a learning rate of 0 or not finite beside its field', () => {
    const s = withData(summary('splits', [8, 8], [4, 4]), { lr: 0 });
    expect(settingProblems(s)['learning rate']).toMatch(/^must be greater than 0/);
    expect(settingProblems({ ...s, cfg: { ...s.cfg, lr: Infinity } })['learning rate']).toBe('must be a finite number');
    expect(settingProblems({ ...s, cfg: { ...s.cfg, lr: 0.01 } })).toEqual({});
  });
  it('ties the engine\'s message to the field it names, and a memory plan that cannot fit to the batch or micro-batch', () => {
    expect(fieldOf('"pad width p" 9 does not fit a 16×16 input')).toBe('pad width p');
    expect(fieldOf('"epochs" and "batch size" must be at least 1')).toBe('epochs');
    expect(fieldOf('no classifier head found')).toBeUndefined();
    const s = withData(summary('splits', [8, 8], [4, 4]));
    const plan = { shapes: {}, trainable: 0, error: '"pad width p" 9 does not fit a 16×16 input (need 1 ≤ p < 8)' };
    expect(settingProblems({ ...s, plan })).toEqual({ 'pad width p': '9 does not fit a 16×16 input (need 1 ≤ p < 8)' });
    const memoryPlan = { batch: 8, microBatch: 0, peakBytes: NaN, largestTensorBytes: NaN, budgetBytes: 2 ** 31, error: "tensor 'x' of one image needs 3 GiB, over this GPU's 1 GiB binding limit" };
    expect(settingProblems({ ...s, memoryPlan })['batch size']).toBe(memoryPlan.error);
    expect(Object.keys(settingProblems({ ...s, memoryPlan, cfg: { ...s.cfg, microBatch: 2 } }))).toEqual(['micro-batch']);
  });
});

describe('Train waits for the limits (store + worker)', () => {
  it('batch 100000 on 24 training images: Train names the batch size and no run starts', async () => {
    const s = await ready();
    s.actions.setCfg({ batchSize: 100000 });
    await s.actions.refreshPlan();
    expect(cannotStart(s.store.getState())).toBe('fix "batch size": must be at most 24: the data has 24 training images');
    expect(await s.actions.start()).toBeUndefined();
    expect(s.store.getState().run.phase).toBe('idle');
    expect(s.store.getState().runs).toHaveLength(0);
    s.actions.setCfg({ batchSize: 24, lr: 0 });
    await s.actions.refreshPlan();
    expect(cannotStart(s.store.getState())).toMatch(/^fix "learning rate": must be greater than 0/);
    s.actions.setCfg({ lr: 0.05 });
    await s.actions.refreshPlan();
    await s.actions.settleMemoryPlan();
    expect(cannotStart(s.store.getState())).toBeUndefined();
  });
});

describe('a failure inside onnxruntime during a run (store + worker)', () => {
  it('ends the run in one sentence that says what to change; the raw text is kept apart', async () => {
    const raw = "failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: Non-zero status code returned while running FusedConv node. Name:'c' Status Message: Calculation for Tensor storage size overflowed";
    const repo = memoryRepo();
    const s = await ready(repo, { fault: { message: raw, afterRuns: 1 } });
    const id = await s.actions.start();
    await until(s, (x) => x.run.phase === 'error' && x.runs.some((r) => r.status === 'error'));
    const st = s.store.getState();
    expect(st.run.error).toBe('A tensor of this training step is too large for onnxruntime: lower the batch size (now 8) or set a smaller micro-batch.');
    expect(st.run.errorDetail).toBe(raw);
    expect(st.run.steps.length).toBe(1); // the first step ran, the second failed
    const [rec] = await repo.list();
    expect(rec).toMatchObject({ id, status: 'error', error: st.run.error });
  });
});
