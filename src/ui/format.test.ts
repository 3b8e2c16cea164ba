// The number formatter every chart and result uses: significant digits, exponents for huge and tiny values, axes
// whose tick labels are round and distinct (a diverged loss, a constant or slowly decaying learning rate).
import { describe, expect, it } from 'vitest';
import { fmtDuration, fmtInt, fmtMiB, fmtNum, fmtPct, niceAxis, tickLabels } from './format.ts';

describe('fmtNum', () => {
  it('keeps three significant digits in the readable range', () => {
    expect([0.0199, 0.05, 1.5, 2.34567, 123.456, 1234.5, 12345, 999_499].map((v) => fmtNum(v)))
      .toEqual(['0.0199', '0.05', '1.5', '2.35', '123', '1,230', '12,300', '999,000']);
    expect(fmtNum(0.83333)).toBe('0.833');
    expect(fmtNum(-0.00123)).toBe('-0.00123');
  });
  it('writes huge and tiny values with an exponent', () => {
    expect(fmtNum(182641508577443840)).toBe('1.83e17');
    expect(fmtNum(999_999)).toBe('1e6');
    expect(fmtNum(2e-5)).toBe('2e-5');
    expect(fmtNum(-4.5e-7)).toBe('-4.5e-7');
    expect(fmtNum(1e100)).toBe('1e100');
    expect(fmtNum(1.2345e-9, 4)).toBe('1.235e-9');
  });
  it('names what is not a number', () => {
    expect([NaN, Infinity, -Infinity, 0, null, undefined].map((v) => fmtNum(v))).toEqual(['NaN', '∞', '-∞', '0', '–', '–']);
  });
  it('never prints more than a few characters for a float32 loss', () => {
    for (const v of [3.4e38, 1.17e-38, 182641508577443840, 0.000999, 123456.789]) expect(fmtNum(v).length).toBeLessThanOrEqual(8);
  });
});

describe('percentages, integers, durations', () => {
  it('formats them', () => {
    expect([fmtPct(0.7083), fmtPct(1), fmtPct(0), fmtPct(null), fmtPct(NaN)]).toEqual(['70.8%', '100.0%', '0.0%', '–', '–']);
    expect([fmtInt(1234567), fmtInt(NaN)]).toEqual(['1,234,567', '–']);
    expect([fmtMiB(2 * 2 ** 30), fmtMiB(1000), fmtMiB(0)]).toEqual(['2,048 MiB', '1 MiB', '0 MiB']);
    expect([fmtDuration(4.4), fmtDuration(59.7), fmtDuration(220), fmtDuration(7380), fmtDuration(-1)]).toEqual(['4 s', '1 min 0 s', '3 min 40 s', '2 h 3 min', '–']);
  });
});

describe('niceAxis', () => {
  it('puts round ticks over a diverged loss, each label short and distinct', () => {
    const ax = niceAxis([2.3, 5.1, 182641508577443840, NaN, Infinity]);
    expect(ax.domain[0]).toBe(0);
    expect(ax.domain[1]).toBe(2e17);
    expect(ax.ticks.map(ax.label)).toEqual(['0', '5e16', '1e17', '1.5e17', '2e17']);
  });
  it('a constant learning rate gets one tick at its value and distinct neighbours', () => {
    const ax = niceAxis(new Array(50).fill(0.05));
    const labels = ax.ticks.map(ax.label);
    expect(labels).toContain('0.05');
    expect(new Set(labels).size).toBe(labels.length);
    expect(ax.domain[0]).toBeLessThanOrEqual(0.045);
    expect(ax.domain[1]).toBeGreaterThanOrEqual(0.055);
  });
  it('a cosine decay over a narrow band keeps distinct labels (more digits where needed)', () => {
    const lrs = Array.from({ length: 100 }, (_, i) => 0.05 + 1e-6 * Math.cos((Math.PI * i) / 99));
    const ax = niceAxis(lrs);
    const labels = ax.ticks.map(ax.label);
    expect(ax.ticks.length).toBeGreaterThanOrEqual(3);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels[0]).toMatch(/^0\.04999\d+$/);
    expect(ax.width).toBeGreaterThanOrEqual(12 + 6.5 * labels[0].length);
  });
  it('keeps a fixed accuracy domain and ticks within it', () => {
    const ax = niceAxis([0.2, 0.9], 5, [0, 1]);
    expect(ax.domain).toEqual([0, 1]);
    expect(ax.ticks).toEqual([0, 0.25, 0.5, 0.75, 1]);
  });
  it('an empty series still has an axis', () => {
    expect(niceAxis([]).ticks.length).toBeGreaterThanOrEqual(2);
  });
  it('tickLabels adds digits only until the labels differ', () => {
    expect([1.0001, 1.0002].map(tickLabels([1.0001, 1.0002]))).toEqual(['1.0001', '1.0002']);
    expect([0.1, 0.2].map(tickLabels([0.1, 0.2]))).toEqual(['0.1', '0.2']);
  });
});
