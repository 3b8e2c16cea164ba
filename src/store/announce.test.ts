// The live region's sentences: one per run state change and per finished epoch, none per step, none for an opened run.
import { describe, expect, it } from 'vitest';
import type { EpochMetrics } from '../engine/trainer.ts';
import { announcement, EPOCH_GAP_MS, worthSaying } from './announce.ts';
import { emptyRun, type Phase, type RunState } from './state.ts';

const ep = (epoch: number, val: number | null): EpochMetrics => ({ epoch, train_acc: 0.5, train_loss: 1, val_acc: val, val_loss: 1, images_per_s: 10, seconds: 1 });
const run = (phase: Phase, epochs: EpochMetrics[] = [], more: Partial<RunState> = {}): RunState => ({ ...emptyRun(), id: 'r1', phase, epochs, ...more });

describe('announcement', () => {
  it('says each state change of a run once', () => {
    expect(announcement(emptyRun(), run('starting'), 5)).toBe('Training started: 5 epochs.');
    expect(announcement(run('starting'), run('compiling'), 5)).toBeUndefined();
    expect(announcement(run('compiling'), run('running'), 5)).toBeUndefined();
    expect(announcement(run('running'), run('paused'), 5)).toBe('Training paused.');
    expect(announcement(run('paused'), run('running'), 5)).toBe('Training resumed.');
    expect(announcement(run('running', [ep(0, 0.5)]), run('running', [ep(0, 0.5), ep(1, 0.8333)]), 5)).toBe('Epoch 2 of 5 done: validation accuracy 83.3 percent.');
    expect(announcement(run('running'), run('running', [ep(0, null)]), 1)).toBe('Epoch 1 of 1 done: training accuracy 50.0 percent.');
    expect(announcement(run('evaluating', [ep(0, 0.5)]), run('done', [ep(0, 0.75)]), 1)).toBe('Training finished after 1 epoch: validation accuracy 75.0 percent.');
    expect(announcement(run('stopping', [ep(0, 0.5)]), run('stopped', [ep(0, 0.5)]), 3)).toBe('Training stopped after 1 epoch.');
    expect(announcement(run('running'), run('diverged', [], { error: 'diverged — lower the learning rate: the loss became NaN at step 0.' }), 1))
      .toBe('Training diverged: diverged — lower the learning rate: the loss became NaN at step 0.');
    expect(announcement(run('running'), run('error', [], { error: 'The training step ran out of memory: lower the batch size' }), 1))
      .toBe('Training failed: The training step ran out of memory: lower the batch size.');
  });
  it('says epochs at most every EPOCH_GAP_MS, state changes always', () => {
    expect(worthSaying('Epoch 2 of 5 done: x.', 5_000, -Infinity)).toBe(true);
    expect(worthSaying('Epoch 3 of 5 done: x.', 5_000 + EPOCH_GAP_MS - 1, 5_000)).toBe(false);
    expect(worthSaying('Epoch 3 of 5 done: x.', 5_000 + EPOCH_GAP_MS, 5_000)).toBe(true);
    expect(worthSaying('Training paused.', 5_001, 5_000)).toBe(true);
  });
  it('is silent for steps and for a saved run opened into the panel', () => {
    const a = run('running', [], { steps: [{ step: 0, epoch: 0, loss: 1, lr: 0.1, ips: 1, t: 0 }] });
    expect(announcement(run('running'), a, 5)).toBeUndefined();
    expect(announcement(run('done', [], { id: 'other' }), run('done', [ep(0, 0.9)]), 5)).toBeUndefined();
    expect(announcement(emptyRun(), run('done', [ep(0, 0.9)]), 5)).toBeUndefined();
  });
});
