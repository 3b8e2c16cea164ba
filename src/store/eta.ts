// The time a run has left, evaluation included: the steps still to run at the pace of steps within an epoch, plus a
// validation pass after every epoch still to finish and the final evaluation. The validation time is measured from
// the gaps between epochs once one has passed; before that it is estimated from the step pace (a forward pass over
// the validation images costs about EVAL_COST of a training step's per-image time). Leaving evaluation out made the
// ETA 15–30 % low on small runs.
import type { StepPoint } from '../persist/runs.ts';

/** A validation image's cost as a share of a training image's: an estimate (a forward pass is about a third of a
 * step's forward, backward and update; decoding and batching the images add to it), used only until the first epoch
 * boundary measures the real pass. */
export const EVAL_COST = 0.45;

export interface EtaInput {
  /** Now and the first step shown (ms, the store's clock); steps shown so far (t: elapsed seconds at the step). */
  now: number;
  firstStep: { at: number; step: number };
  steps: StepPoint[];
  totalSteps: number;
  epochs: number;
  epochsDone: number;
  batchSize: number;
  valCount: number;
}

/** Seconds per step within epochs, and the mean gap an epoch boundary added (its validation pass), if seen. */
export function paces(steps: StepPoint[]): { step: number | undefined; evalGap: number | undefined } {
  let dt = 0, ds = 0;
  for (let i = 1; i < steps.length; i++) {
    if (steps[i].epoch !== steps[i - 1].epoch) continue;
    dt += steps[i].t - steps[i - 1].t; ds += steps[i].step - steps[i - 1].step;
  }
  const step = ds > 0 ? dt / ds : undefined;
  if (step === undefined) return { step, evalGap: undefined };
  const gaps: number[] = [];
  for (let i = 1; i < steps.length; i++) {
    if (steps[i].epoch === steps[i - 1].epoch) continue;
    gaps.push(Math.max(0, steps[i].t - steps[i - 1].t - step * (steps[i].step - steps[i - 1].step)));
  }
  return { step, evalGap: gaps.length ? gaps.reduce((a, b) => a + b, 0) / gaps.length : undefined };
}

/** Seconds left, or undefined before the pace is known. */
export function etaSeconds(i: EtaInput): number | undefined {
  const done = i.steps.length ? i.steps[i.steps.length - 1].step + 1 : 0;
  const since = done - 1 - i.firstStep.step;
  if (since <= 0 || done >= i.totalSteps) return undefined;
  const measured = paces(i.steps);
  // within-epoch pace where two steps of one epoch were seen, else the wall-clock pace since the first step
  const step = measured.step ?? (i.now - i.firstStep.at) / 1000 / since;
  const evalPass = measured.evalGap ?? (i.valCount * step * EVAL_COST) / Math.max(1, i.batchSize);
  const passesLeft = i.valCount > 0 ? i.epochs - i.epochsDone + 1 : 0;
  return (i.totalSteps - done) * step + passesLeft * evalPass;
}
