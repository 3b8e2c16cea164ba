// Seeded PRNG for everything random in the data pipeline (split, shuffle, crop, flip): xoshiro128** 1.0
// (Blackman & Vigna), seeded through splitmix32. Pure 32-bit integer maths, so streams are bit-identical on every platform.

/** splitmix32 finaliser: a bijective avalanche mix of one 32-bit word. */
function mix32(x: number): number {
  x = (x + 0x9e3779b9) | 0;
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Fold a seed (safe integer, or string) into 32 bits. */
function seedWord(seed: number | string): number {
  if (typeof seed === 'string') {
    let h = mix32(seed.length);
    for (let i = 0; i < seed.length; i++) h = mix32(h ^ seed.charCodeAt(i));
    return h;
  }
  if (!Number.isSafeInteger(seed)) throw new Error(`rng seed must be a safe integer or a string, got ${seed}`);
  const lo = seed >>> 0;
  const hi = Math.floor(seed / 0x100000000) >>> 0; // two's complement high word for negatives
  return mix32(lo ^ mix32(hi));
}

/** A 32-bit seed for an independent sub-stream, e.g. seedFor(seed, 'epoch', 3) or seedFor(seed, 'item', epoch, i). */
export function seedFor(seed: number | string, ...parts: Array<number | string>): number {
  let h = seedWord(seed);
  for (const p of parts) h = mix32(h ^ seedWord(p));
  return h;
}

/**
 * xoshiro128** generator. `next()` uses the top 32 bits of one output, so a stream is fully described by its
 * 4-word state (see `state()` / `Rng.fromState`, e.g. for resuming a run). `normal()` calls Math.log/Math.cos,
 * whose last-bit accuracy is implementation-defined by ECMAScript (V8, SpiderMonkey and JSC all agree in practice);
 * every other method is exact integer arithmetic.
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;

  /** Seed from a safe integer or a string; the 128-bit state is filled with splitmix32 outputs. */
  constructor(seed: number | string) {
    let x = seedWord(seed);
    const words: number[] = [];
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      words.push(mix32(x));
    }
    this.setState(words);
  }

  /** A generator continuing from a state returned by `state()`. */
  static fromState(state: readonly number[]): Rng {
    const r = new Rng(0);
    r.setState(state);
    return r;
  }

  /** A copy of the 4-word state. */
  state(): number[] {
    return [this.s0, this.s1, this.s2, this.s3];
  }

  private setState(s: readonly number[]): void {
    if (s.length !== 4 || s.every((w) => (w >>> 0) === 0)) throw new Error('rng state must be 4 words, not all zero');
    [this.s0, this.s1, this.s2, this.s3] = s.map((w) => w >>> 0);
  }

  /** Next raw output, a uniform 32-bit unsigned integer. */
  nextU32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform float in [0, 1), a multiple of 2^-32. */
  next(): number {
    return this.nextU32() / 0x100000000;
  }

  /** Uniform integer in [0, n) for 1 <= n <= 2^32, without modulo bias (rejection sampling). */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > 0x100000000) throw new Error(`rng.int(n) needs an integer 1..2^32, got ${n}`);
    const limit = 0x100000000 - (0x100000000 % n); // largest multiple of n that fits
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /** Standard normal variate (Box–Muller, one value per two uniforms; no cached spare, so state() is complete). */
  normal(): number {
    const u1 = 1 - this.next(); // (0, 1]
    const u2 = this.next();
    return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
  }

  /** Fisher–Yates shuffle in place (from the end: swap a[i] with a[int(i + 1)]); returns the same array. */
  shuffle<T>(array: T[]): T[] {
    for (let i = array.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }
}
