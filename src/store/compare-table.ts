// The summary of a method comparison: one row per run (method, trainable parameters, wall time, best and final
// validation accuracy) and the verdict — the winner by final validation accuracy, its margin over the runner-up
// in points and in validation images, and whether that margin is larger than the noise of a validation set that
// size. Pure functions on saved run records (the ComparePanel renders them; tests pin the rules).
import type { Method } from '../engine/config.ts';
import type { RunRecord } from '../persist/runs.ts';
import { runFigures } from './run-figures.ts';

export interface CompareRow {
  id: string; method: Method; label: string; trainable: number; seconds: number;
  bestVal: number | null; finalVal: number | null; epochs: number; planned: number; status: RunRecord['status'];
}

export interface Verdict {
  winner: CompareRow;
  runnerUp: CompareRow | undefined;
  /** Winner's final val accuracy minus the runner-up's (a fraction; 0 for a tie). */
  margin: number;
  /** The margin in validation images (rounded). */
  images: number;
  /** One standard error of an accuracy near the winner's on this many validation images (a fraction). */
  noise: number;
  /** Whether the winner finished first alone (ties on final accuracy went to best accuracy, then fewer parameters). */
  tie: boolean;
}

export function compareRow(r: RunRecord, label: string): CompareRow {
  const f = runFigures(r);
  return { id: r.id, method: r.cfg.method, label, trainable: r.trainable, seconds: r.seconds, bestVal: f.bestVal, finalVal: f.finalVal,
    epochs: f.epochs, planned: r.cfg.epochs, status: r.status };
}

/** Only runs that trained their whole budget compete (a stopped or diverged run did not get the same images). */
export const competes = (r: CompareRow): boolean => r.status === 'done' && r.epochs >= r.planned && r.finalVal !== null;

/** Best first: final val accuracy, then best val accuracy, then fewer trainable parameters, then less time. */
export function rank(rows: CompareRow[]): CompareRow[] {
  return rows.filter(competes).sort((a, b) => (b.finalVal! - a.finalVal!) || ((b.bestVal ?? 0) - (a.bestVal ?? 0)) || (a.trainable - b.trainable) || (a.seconds - b.seconds));
}

export function verdict(rows: CompareRow[], valImages: number): Verdict | undefined {
  const [winner, runnerUp] = rank(rows);
  if (!winner) return undefined;
  const margin = runnerUp ? winner.finalVal! - runnerUp.finalVal! : 0;
  const p = winner.finalVal!;
  return {
    winner, runnerUp, margin, images: Math.round(margin * valImages),
    noise: valImages > 0 ? Math.sqrt((p * (1 - p)) / valImages) : 0,
    tie: !!runnerUp && runnerUp.finalVal === winner.finalVal,
  };
}

/** The verdict in one sentence. */
export function verdictSentence(v: Verdict | undefined, valImages: number): string {
  if (!v) return 'No method finished its whole budget, so there is no winner.';
  const w = v.winner, pct = (x: number) => `${(100 * x).toFixed(1)} %`;
  if (!v.runnerUp) return `${w.label} is the only method that finished its budget (${pct(w.finalVal!)}).`;
  const pts = (100 * v.margin).toFixed(1);
  const how = v.tie ? `ties ${v.runnerUp.label} on final accuracy and wins on best accuracy or fewer parameters`
    : `beats ${v.runnerUp.label} by ${pts} points (${v.images} of ${valImages} validation images)`;
  const noise = v.margin >= 2 * v.noise ? 'more than twice the noise of a validation set this size'
    : `within the noise of ${valImages} validation images (±${(100 * v.noise).toFixed(1)} points): a different seed could reorder them`;
  return `${w.label} wins with ${pct(w.finalVal!)} final validation accuracy: it ${how} — ${v.tie ? 'a tie is ' : ''}${noise}.`;
}

/** Each prompt's final val accuracy against the linear probe's, in one sentence (undefined without a finished probe). */
export function overProbeSentence(rows: CompareRow[]): string | undefined {
  const done = rows.filter(competes), probe = done.find((r) => r.method === 'none');
  const others = done.filter((r) => r !== probe);
  if (!probe || !others.length) return undefined;
  const pts = (x: number) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
  return `Against the linear probe (no prompt, the same head): ${others.map((r) => `${r.label} ${pts(r.finalVal! - probe.finalVal!)} points`).join(', ')}.`;
}
