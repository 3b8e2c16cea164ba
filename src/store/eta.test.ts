// The ETA counts the validation passes still to come: exact on runs of known step and evaluation times, and no
// longer 15–30 % low on a small run.
import { describe, expect, it } from 'vitest';
import type { StepPoint } from '../persist/runs.ts';
import { EVAL_COST, etaSeconds, paces } from './eta.ts';

/** Steps of `stepS` seconds, `perEpoch` a epoch, a validation pass of `evalS` between epochs; the first `n` steps. */
function run(n: number, perEpoch: number, stepS: number, evalS: number): StepPoint[] {
  const out: StepPoint[] = [];
  let t = 0;
  for (let s = 0; s < n; s++) {
    if (s > 0 && s % perEpoch === 0) t += evalS;
    t += stepS;
    out.push({ step: s, epoch: Math.floor(s / perEpoch), loss: 1, lr: 0.1, ips: 1, t });
  }
  return out;
}

describe('eta', () => {
  it('measures the step pace within epochs and the validation gap between them', () => {
    const p = paces(run(25, 10, 0.1, 2));
    expect(p.step).toBeCloseTo(0.1, 10);
    expect(p.evalGap).toBeCloseTo(2, 10);
    expect(paces(run(5, 10, 0.1, 2)).evalGap).toBeUndefined();
  });
  it('after an epoch boundary: the steps left plus one validation pass per epoch left plus the final evaluation', () => {
    // 3 epochs of 10 steps, 25 done: 5 steps (0.5 s) + epoch 3's validation (2 s) + the final evaluation (2 s)
    const steps = run(25, 10, 0.1, 2);
    const left = etaSeconds({ now: 0, firstStep: { at: 0, step: 0 }, steps, totalSteps: 30, epochs: 3, epochsDone: 2, batchSize: 8, valCount: 40 });
    expect(left).toBeCloseTo(0.5 + 2 + 2, 10);
  });
  it('before the first boundary: validation estimated from the step pace; the true time left is within 10 %', () => {
    // a small run like the demo's: 2 epochs of 6 steps (batch 32), 96 validation images; a validation image costs
    // EVAL_COST of a training image, so one pass = 96 × 0.2 / 32 × EVAL_COST s
    const stepS = 0.2, evalS = (96 * stepS * EVAL_COST) / 32;
    const steps = run(4, 6, stepS, evalS);
    const left = etaSeconds({ now: 0, firstStep: { at: 0, step: 0 }, steps, totalSteps: 12, epochs: 2, epochsDone: 0, batchSize: 32, valCount: 96 })!;
    const truth = 8 * stepS + 3 * evalS;
    expect(Math.abs(left - truth) / truth).toBeLessThan(0.1);
    // what the steps alone said: 30 % low here
    expect((8 * stepS) / truth).toBeLessThan(0.75);
  });
  it('without validation images only the steps count; no ETA before the pace is known or after the last step', () => {
    const steps = run(4, 6, 0.2, 0);
    expect(etaSeconds({ now: 0, firstStep: { at: 0, step: 0 }, steps, totalSteps: 12, epochs: 2, epochsDone: 0, batchSize: 32, valCount: 0 })).toBeCloseTo(8 * 0.2, 10);
    expect(etaSeconds({ now: 0, firstStep: { at: 0, step: 3 }, steps, totalSteps: 12, epochs: 2, epochsDone: 0, batchSize: 32, valCount: 0 })).toBeUndefined();
    expect(etaSeconds({ now: 0, firstStep: { at: 0, step: 0 }, steps: run(12, 6, 0.2, 0), totalSteps: 12, epochs: 2, epochsDone: 2, batchSize: 32, valCount: 0 })).toBeUndefined();
  });
  it('with one step shown per epoch (a GPU reads the loss back rarely) it falls back to the wall-clock pace', () => {
    const steps: StepPoint[] = [{ step: 0, epoch: 0, loss: 1, lr: 0.1, ips: 1, t: 1 }, { step: 10, epoch: 1, loss: 1, lr: 0.1, ips: 1, t: 4 }];
    const left = etaSeconds({ now: 3000, firstStep: { at: 0, step: 0 }, steps, totalSteps: 20, epochs: 2, epochsDone: 1, batchSize: 10, valCount: 0 });
    expect(left).toBeCloseTo(9 * 0.3, 10);
  });
});
