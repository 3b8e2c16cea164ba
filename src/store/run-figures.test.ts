// Runs that teach nothing say so: a run that diverged before its first epoch has nothing to export; an imported
// run shows its manifest's epochs and accuracy; a class with no validation images reads "–"; an interrupted run
// opens from its last checkpoint (store + worker).
import { describe, expect, it } from 'vitest';
import { memoryRepo, type RunRecord } from '../persist/runs.ts';
import { WorkerClient } from '../worker/client.ts';
import { checkpointParams, importedFigures, perClassShown, runFigures, untrainedReason } from './run-figures.ts';
import { createStudio } from './studio.ts';
import { backToBack, notFound, ready, stoppedAfterFirstEpoch, until } from './test-harness.ts';

const base = { epochs: [], evaluation: undefined, status: 'done', cfg: { lr: 1e9 } } as unknown as RunRecord;
const ep = (epoch: number, val: number | null) => ({ epoch, train_acc: 0.5, train_loss: 1, val_acc: val, val_loss: 1, images_per_s: 1, seconds: 2 });

describe('run figures', () => {
  it('an imported run takes its epochs and accuracies from the manifest', () => {
    const imported = importedFigures({ epoch: 4, train_acc: 0.9, val_acc: 0.8125, best_val_acc: 0.875, seconds: 12, steps: 40 });
    expect(imported).toEqual({ epochs: 5, valAcc: 0.8125, bestValAcc: 0.875 });
    expect(runFigures({ ...base, imported })).toEqual({ epochs: 5, bestVal: 0.875, finalVal: 0.8125, untrained: false });
    expect(importedFigures({ seconds: 3 })).toEqual({ epochs: 0, valAcc: null, bestValAcc: null });
  });
  it('a trained run\'s figures come from its epochs and evaluation', () => {
    const r = { ...base, epochs: [ep(0, 0.5), ep(1, 0.75), ep(2, 0.625)] } as RunRecord;
    expect(runFigures(r)).toEqual({ epochs: 3, bestVal: 0.75, finalVal: 0.625, untrained: false });
    expect(runFigures({ ...r, evaluation: { accuracy: 0.7 } } as RunRecord).finalVal).toBe(0.7);
  });
  it('a run that diverged, failed or was stopped before its first epoch ended is untrained, and says why', () => {
    expect(untrainedReason({ ...base, status: 'diverged' })).toBe('This run diverged before its first epoch ended: its tensors never learned anything, so there is nothing to export or evaluate. Lower the learning rate (it was 1000000000) and train again.');
    expect(untrainedReason({ ...base, status: 'error' })).toMatch(/^This run failed before its first epoch ended/);
    expect(untrainedReason({ ...base, status: 'diverged', epochs: [ep(0, 0.4)] } as RunRecord)).toBeUndefined();
    expect(untrainedReason({ ...base, status: 'done', imported: { epochs: 0, valAcc: null, bestValAcc: null } })).toBeUndefined();
  });
  it('a class with no validation images has no accuracy (not 0 %)', () => {
    expect(perClassShown({ perClass: [0.5, 0, 0], labels: [0, 0, 2, 2] })).toEqual([0.5, null, 0]);
  });
  it('a checkpoint\'s trained tensors without the optimiser state', () => {
    const t = { dtype: 'float32' as const, shape: [1], data: new Float32Array(1) };
    expect(Object.keys(checkpointParams({ epoch: 1, step: 3, rngState: [], epochs: [], mapping: undefined, tensors: { 'prompt.A': t, 'head.bias': t, 'state.prompt.A.buf': t } }))).toEqual(['prompt.A', 'head.bias']);
  });
});

describe('saved runs (store + worker)', () => {
  it('an interrupted run opens from its last checkpoint before it is resumed; a diverged untrained one exports nothing', async () => {
    const repo = memoryRepo();
    // a page closed during epoch 2: the record still says running, a checkpoint of epoch 1 is saved
    const { id } = await stoppedAfterFirstEpoch(repo);
    const rec = (await repo.list())[0], cp = (await repo.checkpoint(id))!;
    await repo.remove(id);   // its tensors gone, as for a closed page: the record says running, the checkpoint stays
    await repo.save({ ...rec, status: 'running' });
    await repo.saveCheckpoint(id, cp);
    const again = createStudio({ client: new WorkerClient(backToBack()), repo, fetch: notFound });
    await again.actions.boot({ preload: false });
    expect(again.store.getState().runs.map((r) => r.status)).toEqual(['interrupted']);
    expect(await repo.tensors(id)).toBeUndefined();
    await again.actions.openRun(id);
    const v = again.store.getState().view!;
    expect(v.record.id).toBe(id);
    expect(v.record.epochs.length).toBeGreaterThanOrEqual(1);
    expect(Object.keys(v.params).sort()).toEqual(['head.bias', 'head.weight', 'prompt.A', 'prompt.B']);
    expect(again.store.getState().run.phase).toBe('stopped');
    expect(again.actions.exportPrompt().bytes.length).toBeGreaterThan(100);
  });

  it('a run that diverges at its first step keeps no evaluation and refuses to export untrained tensors', async () => {
    const s = await ready();
    s.actions.setCfg({ lr: 1e9 });
    await s.actions.refreshPlan();
    await s.actions.start();
    await until(s, (x) => x.run.phase === 'diverged' && x.runs.some((r) => r.status === 'diverged'));
    const v = s.store.getState().view!;
    expect(v.record.epochs).toHaveLength(0);
    expect(v.record.evaluation).toBeUndefined();
    expect(() => s.actions.exportPrompt()).toThrow(/^This run diverged before its first epoch ended/);
    await expect(s.actions.exportModel()).rejects.toThrow(/nothing to export/);
  });
});
