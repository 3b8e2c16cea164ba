// What a screen reader hears as a run changes state (the Train panel's polite live region): started, paused,
// resumed, each finished epoch with its accuracy, finished, diverged, stopped, failed — never every step. A saved run
// opened into the panel is not announced as if it had just finished; epochs at most every EPOCH_GAP_MS (a tiny
// model finishes several a second).
import type { RunState } from './state.ts';

const pct = (x: number) => `${(100 * x).toFixed(1)} percent`;
const epochsWord = (n: number) => `${n} epoch${n === 1 ? '' : 's'}`;

/** Least time between two epoch announcements (state changes are always said). */
export const EPOCH_GAP_MS = 10_000;

/** Whether to say `text` now, the last epoch announcement having been at `lastEpochAt` (ms). */
export const worthSaying = (text: string, now: number, lastEpochAt: number): boolean => !text.startsWith('Epoch ') || now - lastEpochAt >= EPOCH_GAP_MS;

/** The sentence for the change from `prev` to `next` (`epochs`: the run's planned epochs), or undefined. */
export function announcement(prev: RunState, next: RunState, epochs: number): string | undefined {
  if (next.phase === 'starting' && (prev.phase !== 'starting' || prev.id !== next.id)) return `Training started: ${epochsWord(epochs)}.`;
  if (!next.id || prev.id !== next.id) return undefined;
  const lastVal = [...next.epochs].reverse().find((e) => e.val_acc !== null)?.val_acc;
  if (next.phase !== prev.phase) {
    switch (next.phase) {
      case 'paused': return 'Training paused.';
      case 'running': return prev.phase === 'paused' ? 'Training resumed.' : undefined;
      case 'done': return `Training finished after ${epochsWord(next.epochs.length)}${lastVal !== undefined && lastVal !== null ? `: validation accuracy ${pct(lastVal)}` : ''}.`;
      case 'diverged': return `Training diverged${next.error ? `: ${next.error}` : ''}.`.replace(/\.\.$/, '.');
      case 'stopped': return `Training stopped after ${epochsWord(next.epochs.length)}.`;
      case 'error': return `Training failed: ${next.error ?? 'unknown error'}`.replace(/([^.])$/, '$1.');
      default: break;
    }
  }
  if (next.epochs.length > prev.epochs.length && (next.phase === 'running' || next.phase === 'paused' || next.phase === 'compiling')) {
    const e = next.epochs[next.epochs.length - 1];
    const acc = e.val_acc !== null ? `validation accuracy ${pct(e.val_acc)}` : `training accuracy ${pct(e.train_acc)}`;
    return `Epoch ${next.epochs.length} of ${epochs} done: ${acc}.`;
  }
  return undefined;
}
