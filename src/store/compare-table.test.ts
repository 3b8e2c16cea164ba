import { describe, expect, it } from 'vitest';
import type { Method } from '../engine/config.ts';
import type { RunRecord } from '../persist/runs.ts';
import { compareRow, overProbeSentence, rank, verdict, verdictSentence, type CompareRow } from './compare-table.ts';

const ep = (epoch: number, val: number) => ({ epoch, train_acc: 0, train_loss: 0, val_acc: val, val_loss: 0, images_per_s: 0, seconds: 0 });
const record = (id: string, method: Method, vals: number[], o: Partial<RunRecord> = {}): RunRecord => ({
  id, name: id, status: 'done', cfg: { method, epochs: 3 }, trainable: 100, seconds: 10, epochs: vals.map((v, i) => ep(i, v)), ...o,
} as unknown as RunRecord);
const row = (id: string, method: Method, vals: number[], o: Partial<RunRecord> = {}): CompareRow => compareRow(record(id, method, vals, o), id);

describe('compare table', () => {
  it('a row: trainable parameters, wall time, best and final val accuracy', () => {
    const r = row('lorvp', 'lorvp', [0.6, 0.8, 0.7], { trainable: 2058, seconds: 42.5 });
    expect(r).toMatchObject({ method: 'lorvp', trainable: 2058, seconds: 42.5, bestVal: 0.8, finalVal: 0.7, epochs: 3, planned: 3 });
  });

  it('the winner has the best final accuracy; the margin is over the runner-up, in points and images', () => {
    const rows = [row('lorvp', 'lorvp', [0.7, 0.77, 0.786]), row('pad', 'pad', [0.7, 0.79, 0.766]), row('probe', 'none', [0.77, 0.77, 0.772])];
    const v = verdict(rows, 500)!;
    expect(v.winner.id).toBe('lorvp');
    expect(v.runnerUp!.id).toBe('probe');
    expect(v.margin).toBeCloseTo(0.014, 9);
    expect(v.images).toBe(7);
    expect(v.noise).toBeCloseTo(Math.sqrt((0.786 * 0.214) / 500), 9);
    expect(v.tie).toBe(false);
    // the pad run's best epoch (0.79) does not make it the winner: selection on the final epoch
    expect(rank(rows).map((r) => r.id)).toEqual(['lorvp', 'probe', 'pad']);
    expect(verdictSentence(v, 500)).toBe('lorvp wins with 78.6 % final validation accuracy: it beats probe by 1.4 points (7 of 500 validation images) — within the noise of 500 validation images (±1.8 points): a different seed could reorder them.');
  });

  it('a clear margin is more than twice the standard error', () => {
    const v = verdict([row('a', 'lorvp', [0.9]), row('b', 'none', [0.8])].map((r) => ({ ...r, planned: 1 })), 500)!;
    expect(v.margin).toBeCloseTo(0.1, 9);
    expect(v.images).toBe(50);
    expect(verdictSentence(v, 500)).toMatch(/beats b by 10.0 points \(50 of 500 validation images\) — more than twice the noise/);
  });

  it('ties go to the better best epoch, then to fewer parameters', () => {
    const a = row('a', 'lorvp', [0.7, 0.75], { trainable: 2000 }), b = row('b', 'pad', [0.8, 0.75], { trainable: 3000 });
    expect(rank([a, b].map((r) => ({ ...r, planned: 2 }))).map((r) => r.id)).toEqual(['b', 'a']);
    const c = row('c', 'none', [0.7, 0.75], { trainable: 1290 });
    const v = verdict([a, c].map((r) => ({ ...r, planned: 2 })), 500)!;
    expect(v.winner.id).toBe('c');
    expect(v.tie).toBe(true);
    expect(v.margin).toBe(0);
    expect(verdictSentence(v, 500)).toMatch(/c wins .* ties a on final accuracy/);
  });

  it('only runs that trained the whole budget compete', () => {
    const stopped = row('stopped', 'pad', [0.99], { status: 'stopped' });
    const short = row('short', 'vpt', [0.98, 0.99]);
    const diverged = row('diverged', 'lorvp', [], { status: 'diverged' });
    const ok = row('ok', 'none', [0.5, 0.6, 0.7]);
    expect(rank([stopped, short, diverged, ok]).map((r) => r.id)).toEqual(['ok']);
    expect(verdictSentence(verdict([stopped, short, diverged, ok], 500), 500)).toBe('ok is the only method that finished its budget (70.0 %).');
    expect(verdict([stopped], 500)).toBeUndefined();
    expect(verdictSentence(undefined, 500)).toMatch(/no winner/);
  });

  it('says how far each prompt is from the linear probe', () => {
    const rows = [row('LoR-VP', 'lorvp', [0.7, 0.75, 0.803]), row('Pad prompt', 'pad', [0.7, 0.75, 0.776]), row('Linear probe', 'none', [0.7, 0.78, 0.782])];
    expect(overProbeSentence(rows)).toBe('Against the linear probe (no prompt, the same head): LoR-VP +2.1 points, Pad prompt −0.6 points.');
    expect(overProbeSentence(rows.slice(0, 2))).toBeUndefined();
    expect(overProbeSentence([rows[2]])).toBeUndefined();
  });
});
