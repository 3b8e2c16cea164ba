// The greedy label mapping of METHODS.md against a brute-force restatement of the rule, with ties.
import { describe, expect, it } from 'vitest';
import { Rng } from '../data/rng.ts';
import { countTop1, greedyMapping, mappingMatrix } from './mapping.ts';

/** Literal restatement: repeatedly scan the remaining (s, t) pairs in row-major order for the first maximum. */
function bruteForce(D: number[][], C: number): number[] {
  const rows = new Set<number>(), cols = new Set<number>(), out = new Array(C).fill(-1);
  for (let k = 0; k < C; k++) {
    let best = -1, bs = -1, bt = -1;
    D.forEach((row, s) => row.forEach((v, t) => { if (!rows.has(s) && !cols.has(t) && v > best) { best = v; bs = s; bt = t; } }));
    out[bt] = bs; rows.add(bs); cols.add(bt);
  }
  return out;
}

describe('label mapping', () => {
  it('matches the greedy rule, ties broken by row-major order', () => {
    const rng = new Rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const S = 2 + rng.int(12), C = 2 + rng.int(Math.min(S, 8) - 1);
      const D = Array.from({ length: S }, () => Array.from({ length: C }, () => rng.int(4)));
      const flat = Float64Array.from(D.flat());
      expect(Array.from(greedyMapping(flat, S, C))).toEqual(bruteForce(D, C));
    }
  });
  it('counts top-1 source classes per target class', () => {
    const logits = Float32Array.from([0, 5, 1, /**/ 9, 0, 0, /**/ 0, 1, 2, /**/ 0, 3, 2]);
    const D = countTop1(logits, 3, [0, 1, 1, 0], 2);
    expect(Array.from(D)).toEqual([0, 1, /**/ 2, 0, /**/ 0, 1]);
    expect(Array.from(greedyMapping(D, 3, 2))).toEqual([1, 0]);
  });
  it('builds a one-hot selection matrix', () => {
    expect(Array.from(mappingMatrix(Int32Array.from([2, 0]), 3))).toEqual([0, 1, 0, 0, 1, 0]);
  });
});
