// Numbers as people read them, for every chart axis, chart tooltip and number the studio prints: three significant
// digits, exponent notation for huge and tiny values (a diverged loss is 1.83e17, not 182641508577443840.0000),
// percentages, durations, integers with separators; and chart axes whose ticks are round numbers whose labels are
// all different (a nearly constant learning rate no longer prints "0.05" five times).

const DASH = '–';
const MINUS = '-';

/** `v` with `digits` significant digits: plain between 1e-3 and 1e6 (thousands grouped), else m.mme±x. */
export function fmtNum(v: number | null | undefined, digits = 3): string {
  if (v === null || v === undefined) return DASH;
  if (Number.isNaN(v)) return 'NaN';
  if (!Number.isFinite(v)) return v > 0 ? '∞' : `${MINUS}∞`;
  if (v === 0) return '0';
  const a = Math.abs(v);
  if (a >= 1e6 || a < 1e-3) return expo(v, digits);
  const r = Number(v.toPrecision(digits));
  if (Math.abs(r) >= 1e6) return expo(v, digits);
  // toPrecision's own rounding, without a trailing ".000" or a needless exponent
  const decimals = Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(r))));
  return r.toLocaleString('en-US', { minimumFractionDigits: 0, maximumFractionDigits: Math.min(decimals, 20) });
}

/** m.mm e±x with trailing zeros of the mantissa dropped: 1.83e17, 2e-5, -4.5e-7. */
function expo(v: number, digits: number): string {
  const [m, e] = v.toExponential(Math.max(0, digits - 1)).split('e');
  const mant = m.includes('.') ? m.replace(/\.?0+$/, '') : m;
  return `${mant}e${Number(e)}`;
}

/** A share in [0, 1] as a percentage with one decimal ("83.3%"); "–" for none. */
export function fmtPct(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? DASH : `${(100 * x).toFixed(1)}%`;
}

export const fmtInt = (n: number): string => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : DASH);

/** Bytes in whole MiB (at least 1 for anything above 0): "2,048 MiB". */
export const fmtMiB = (bytes: number): string => `${fmtInt(bytes > 0 ? Math.max(1, Math.round(bytes / 2 ** 20)) : 0)} MiB`;

/** Seconds as "42 s", "3 min 5 s", "2 h 7 min"; "–" for a negative or unknown time. */
export function fmtDuration(s: number): string {
  if (!Number.isFinite(s) || s < 0) return DASH;
  if (s < 59.5) return `${s.toFixed(0)} s`;
  const whole = Math.round(s), m = Math.floor(whole / 60);
  return m < 60 ? `${m} min ${whole % 60} s` : `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** A chart axis over some values: a domain of round ends, the ticks inside it, labels that all differ, and the width
 * (px, at 11 px type) its longest label needs. */
export interface Axis { domain: [number, number]; ticks: number[]; label: (v: number) => string; width: number }

/** 1, 2, 2.5 or 5 times a power of ten: the tick step nearest `raw` from above. */
function niceStep(raw: number): number {
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 2.5 ? 2.5 : f <= 5 ? 5 : 10) * p;
}

/** Labels of `ticks` with the fewest significant digits (at least 3) that tell every tick apart. */
export function tickLabels(ticks: number[]): (v: number) => string {
  for (let d = 3; d <= 12; d++) {
    const labels = ticks.map((t) => fmtNum(t, d));
    if (new Set(labels).size === labels.length) return (v) => fmtNum(v, d);
  }
  return (v) => fmtNum(v, 12);
}

/**
 * The axis of `values` (non-finite ones ignored) with about `count` ticks: ends rounded out to the tick step; a
 * constant series gets a small band around it (one tick at its value, and its neighbours); `fixed` keeps a domain
 * (accuracy: [0, 1]).
 */
export function niceAxis(values: readonly number[], count = 5, fixed?: [number, number]): Axis {
  const finite = values.filter((v) => Number.isFinite(v));
  let lo = fixed ? fixed[0] : finite.length ? Math.min(...finite) : 0;
  let hi = fixed ? fixed[1] : finite.length ? Math.max(...finite) : 1;
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad; hi += pad;
  }
  const step = niceStep((hi - lo) / Math.max(1, count - 1));
  const first = fixed ? lo : Math.floor(lo / step) * step, last = fixed ? hi : Math.ceil(hi / step) * step;
  const ticks: number[] = [];
  for (let i = 0; ; i++) {
    // multiples of the step, cleaned of binary noise (0.1 + 0.2)
    const t = Number((first + i * step).toPrecision(12));
    if (t > last + step * 1e-9) break;
    ticks.push(Object.is(t, -0) ? 0 : t);
  }
  const label = tickLabels(ticks);
  return { domain: [first, last], ticks, label, width: Math.max(32, 12 + Math.ceil(6.5 * Math.max(...ticks.map((t) => label(t).length)))) };
}
