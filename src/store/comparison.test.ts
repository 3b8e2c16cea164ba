// "Compare methods" in the store, on the real worker back-to-back (tiny ViT, shapes folder): each method trains
// at the settings the plan shows, with the same epochs; the form comes back; the tensors are loaded for the prompts.
import { describe, expect, it } from 'vitest';
import { memoryRepo } from '../persist/runs.ts';
import { plannedComparison, trainImagesOf } from './comparison.ts';
import { ready, until } from './test-harness.ts';

describe('compare methods (store)', () => {
  it('trains every planned method with its shown settings and one budget, then restores the form', async () => {
    const s = await ready(memoryRepo());
    s.actions.setCompareEpochs(1);
    const st = s.store.getState();
    expect(trainImagesOf(st)).toBe(24); // 36 images, 1/3 held out per class
    const plan = plannedComparison(st)!;
    expect(plan.map((e) => e.method)).toEqual(['lorvp', 'vpt', 'pad', 'none']);
    expect(plan.every((e) => e.cfg.epochs === 1 && e.cfg.batchSize === 8 && e.cfg.head === 'lp')).toBe(true);
    expect(plan.find((e) => e.method === 'pad')!.cfg.padWidth).toBe(2); // 30·16/224
    const form = st.cfg;
    const ids = await s.actions.compareMethods();
    expect(ids).toHaveLength(4);
    const after = s.store.getState();
    expect(after.cfg).toEqual(form);
    expect(after.compare).toEqual(ids);
    expect(after.comparison).toMatchObject({ ids, done: 4, running: false });
    const records = ids.map((id) => after.runs.find((r) => r.id === id)!);
    // what ran is what the plan showed
    records.forEach((r, i) => expect(r.cfg).toEqual(plan[i].cfg));
    expect(records.map((r) => r.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(records.map((r) => r.epochs.length)).toEqual([1, 1, 1, 1]);
    expect(records[3].trainable).toBeLessThan(records[0].trainable);
    expect(Object.keys(after.comparison!.params['' + ids[0]]).sort()).toEqual(['head.bias', 'head.weight', 'prompt.A', 'prompt.B']);
    expect(Object.keys(after.comparison!.params['' + ids[2]])).toContain('prompt.pad_up');
  }, 120_000);

  it('Stop comparing ends the run in progress and starts no further method', async () => {
    const s = await ready(memoryRepo());
    // far more epochs than can finish before the stop lands (30 could: the tiny ViT trains 90 steps in a moment)
    s.actions.setCompareEpochs(5000);
    const form = s.store.getState().cfg;
    const all = s.actions.compareMethods();
    await until(s, (x) => x.run.phase === 'running' && x.run.steps.length > 0);
    s.actions.stopComparison();
    const ids = await all;
    const st = s.store.getState();
    expect(ids).toHaveLength(1);
    expect(st.runs.find((r) => r.id === ids[0])!.status).toBe('stopped');
    expect(st.comparison).toMatchObject({ running: false, done: 1 });
    expect(st.cfg).toEqual(form);
  }, 120_000);
});
