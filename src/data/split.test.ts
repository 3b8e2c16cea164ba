// Tests for split.ts: stratified, seeded, per-class guarantees.
import { describe, expect, it } from 'vitest';
import { stratifiedSplit } from './split.ts';

describe('stratifiedSplit', () => {
  // class 0: 10 images, class 1: 3, class 2: 2, class 3: 1 (interleaved order)
  const labels = [0, 1, 0, 2, 0, 3, 0, 1, 0, 0, 2, 0, 1, 0, 0, 0];

  it('partitions the indices, stratified per class with the documented rounding', () => {
    const { train, val } = stratifiedSplit(labels, 0.2, 1);
    expect([...train, ...val].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    const valOf = (c: number) => val.filter((i) => labels[i] === c).length;
    expect(valOf(0)).toBe(2); // round(10 * 0.2)
    expect(valOf(1)).toBe(1); // round(0.6)
    expect(valOf(2)).toBe(1); // round(0.4) = 0, raised to 1
    expect(valOf(3)).toBe(0); // a single image stays in train
    expect(train).toEqual([...train].sort((a, b) => a - b));
    expect(val).toEqual([...val].sort((a, b) => a - b));
  });

  it('keeps at least one training image per class', () => {
    const { train } = stratifiedSplit([0, 0, 1, 1, 1], 0.9, 3);
    expect(train.filter((i) => i < 2).length).toBe(1);
    expect(train.filter((i) => i >= 2).length).toBe(1);
  });

  it('is deterministic for a seed and changes with it', () => {
    const many = Array.from({ length: 200 }, (_, i) => i % 4);
    expect(stratifiedSplit(many, 0.25, 7)).toEqual(stratifiedSplit(many, 0.25, 7));
    expect(stratifiedSplit(many, 0.25, 7).val).not.toEqual(stratifiedSplit(many, 0.25, 8).val);
    expect(stratifiedSplit(Int32Array.from(many), 0.25, 7)).toEqual(stratifiedSplit(many, 0.25, 7));
  });

  it('valFraction 0 puts everything in train; invalid fractions throw', () => {
    expect(stratifiedSplit(labels, 0, 1).val).toEqual([]);
    expect(() => stratifiedSplit(labels, 1, 1)).toThrow(/\[0, 1\)/);
    expect(() => stratifiedSplit(labels, -0.1, 1)).toThrow();
  });
});
