// Prompt pictures: B·A per channel, the pad frame's layout (strips around a zero centre), pixel-space scaling,
// display mapping and VPT token norms.
import { describe, expect, it } from 'vitest';
import type { WireTensor } from '../worker/protocol.ts';
import { addPrompt, lorvpPrompt, padPrompt, toPixelSpace, visiblePrompt, vptTokenNorms } from './visuals.ts';

const t = (shape: number[], f: (i: number) => number): WireTensor => ({ dtype: 'float32', shape, data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => f(i)) });

describe('visuals', () => {
  it('computes P[c] = B[c]·A[c]', () => {
    const L = 5, r = 2;
    const B = t([3, L, r], (i) => Math.sin(i)), A = t([3, r, L], (i) => Math.cos(i));
    const P = lorvpPrompt(B, A);
    for (let c = 0; c < 3; c++) for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) {
      let s = 0;
      for (let k = 0; k < r; k++) s += B.data[(c * L + i) * r + k] * A.data[(c * r + k) * L + j];
      expect(P[(c * L + i) * L + j]).toBeCloseTo(s, 6);
    }
  });

  it('lays out the pad frame as [up; left 0 right; down]', () => {
    const L = 6, p = 2, side = L - 2 * p;
    const P = padPrompt(t([1, 3, p, L], () => 1), t([1, 3, p, L], () => 2), t([1, 3, side, p], () => 3), t([1, 3, side, p], () => 4));
    const at = (c: number, y: number, x: number) => P[(c * L + y) * L + x];
    expect([at(0, 0, 0), at(1, 1, 5), at(2, 4, 3), at(2, 5, 0)]).toEqual([1, 1, 2, 2]);
    expect([at(0, 2, 0), at(0, 3, 1), at(1, 2, 4), at(1, 3, 5)]).toEqual([3, 3, 4, 4]);
    expect([at(0, 2, 2), at(2, 3, 3)]).toEqual([0, 0]);
    expect(toPixelSpace(P, [0.5, 1, 2])[(2 * L + 4) * L + 3]).toBe(4);
  });

  it('maps a signed prompt to grey ± and clamps a sample plus prompt', () => {
    const v = visiblePrompt(Float32Array.of(-2, 0, 1));
    expect(Array.from(v.image)).toEqual([0, 0.5, 0.75]);
    expect(v.maxAbs).toBe(2);
    expect(Array.from(addPrompt(Float32Array.of(0.5, 0.9, 0.1), Float32Array.of(0.2, 0.3, -0.5)))).toEqual([0.699999988079071, 1, 0]);
  });

  it('measures VPT token norms per layer', () => {
    const rows = vptTokenNorms(t([2, 2], (i) => [3, 4, 0, 1][i]), t([1, 2, 2], (i) => [0, 2, 6, 8][i]));
    expect(rows).toEqual([[5, 1], [2, 10]]);
  });
});
