// The figures a saved run is shown with, wherever it is shown (runs table, results): epochs trained, best and final
// validation accuracy (an imported run's from its manifest), whether it learned anything at all (a run that diverged,
// failed or stopped before its first epoch ended did not: nothing to export or evaluate), the per-class accuracy with
// "no validation images" kept apart from 0 %, and the trained tensors of a checkpoint (to view an interrupted run).
import type { RunRecord } from '../persist/runs.ts';
import type { EvaluationSummary, WireCheckpoint, WireTensor } from '../worker/protocol.ts';

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/** An imported manifest's `final` (the last epoch's metrics, 0-based `epoch`, `best_val_acc`) as run figures. */
export function importedFigures(final: Record<string, unknown>): NonNullable<RunRecord['imported']> {
  const epoch = num(final.epoch);
  return { epochs: epoch === null ? 0 : epoch + 1, valAcc: num(final.val_acc), bestValAcc: num(final.best_val_acc) ?? num(final.val_acc) };
}

export interface RunFigures { epochs: number; bestVal: number | null; finalVal: number | null; untrained: boolean }

export function runFigures(r: RunRecord): RunFigures {
  const vals = r.epochs.map((e) => e.val_acc).filter((v): v is number => v !== null);
  const epochs = r.epochs.length || r.imported?.epochs || 0;
  return {
    epochs,
    bestVal: vals.length ? Math.max(...vals) : r.imported?.bestValAcc ?? null,
    finalVal: r.evaluation?.accuracy ?? r.epochs.at(-1)?.val_acc ?? r.imported?.valAcc ?? null,
    untrained: epochs === 0 && r.status !== 'done',
  };
}

/** Why a run has nothing to export or evaluate, or undefined when it has. */
export function untrainedReason(r: RunRecord): string | undefined {
  if (!runFigures(r).untrained) return undefined;
  const how = r.status === 'diverged' ? 'diverged' : r.status === 'error' ? 'failed' : r.status === 'stopped' ? 'was stopped' : 'ended';
  const fix = r.status === 'diverged' ? ` Lower the learning rate (it was ${r.cfg.lr}) and train again.` : ' Train it again.';
  return `This run ${how} before its first epoch ended: its tensors never learned anything, so there is nothing to export or evaluate.${fix}`;
}

/** Per-class validation accuracy, null for a class with no validation images (shown "–", not 0 %). */
export function perClassShown(ev: Pick<EvaluationSummary, 'perClass' | 'labels'>): (number | null)[] {
  const counts = ev.perClass.map(() => 0);
  for (const l of ev.labels) if (l >= 0 && l < counts.length) counts[l]++;
  return ev.perClass.map((a, i) => (counts[i] ? a : null));
}

/** The trained tensors of a checkpoint (without the optimiser's state), to view a run that has not finished. */
export function checkpointParams(cp: WireCheckpoint): Record<string, WireTensor> {
  return Object.fromEntries(Object.entries(cp.tensors).filter(([k]) => !k.startsWith('state.')));
}
