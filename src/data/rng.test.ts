// Tests for rng.ts: published xoshiro128** vectors, seeding, ranges, shuffle and state round trips.
import { describe, expect, it } from 'vitest';
import { Rng, seedFor } from './rng.ts';

describe('Rng', () => {
  it('matches the reference xoshiro128** outputs for state [1, 2, 3, 4]', () => {
    // Same vector as rand_xoshiro's Xoshiro128StarStar test (Vigna's C reference).
    const r = Rng.fromState([1, 2, 3, 4]);
    const out = Array.from({ length: 8 }, () => r.nextU32());
    expect(out).toEqual([11520, 0, 5927040, 70819200, 2031721883, 1637235492, 1287239034, 3734860849]);
  });

  it('seeds through splitmix32 as documented', () => {
    /* /usr/bin/python3 -c "
M=0xffffffff
def mix32(x):
    x=(x+0x9e3779b9)&M; x=((x^(x>>16))*0x21f0aaad)&M; x=((x^(x>>15))*0x735a2d97)&M; return x^(x>>15)
x=mix32(42^mix32(0)); st=[]
for i in range(4): x=(x+0x9e3779b9)&M; st.append(mix32(x))
print(st)" */
    expect(new Rng(42).state()).toEqual([3062184062, 901382048, 3265375612, 1402826978]);
    const r = new Rng(42);
    expect(Array.from({ length: 5 }, () => r.nextU32())).toEqual([3640102966, 1440693828, 1312930369, 1320232091, 2837430569]);
  });

  it('is deterministic per seed, distinct across seeds, and accepts strings and big integers', () => {
    const draw = (seed: number | string) => {
      const r = new Rng(seed);
      return Array.from({ length: 4 }, () => r.next());
    };
    expect(draw(7)).toEqual(draw(7));
    expect(draw(7)).not.toEqual(draw(8));
    expect(draw('run-a')).toEqual(draw('run-a'));
    expect(draw('run-a')).not.toEqual(draw('run-b'));
    expect(draw(2 ** 40)).not.toEqual(draw(0));
    expect(draw(-1)).not.toEqual(draw(1));
    expect(() => new Rng(0.5)).toThrow(/safe integer/);
  });

  it('next() is in [0, 1) and int(n) is in range and roughly uniform', () => {
    const r = new Rng(1);
    const counts = new Array(6).fill(0);
    let inRange = true;
    for (let i = 0; i < 60000; i++) {
      const u = r.next();
      inRange &&= u >= 0 && u < 1;
      counts[r.int(6)]++;
    }
    expect(inRange).toBe(true);
    for (const c of counts) expect(Math.abs(c - 10000)).toBeLessThan(400);
    expect(r.int(1)).toBe(0);
    expect(r.int(2 ** 32)).toBeLessThan(2 ** 32);
    expect(() => r.int(0)).toThrow();
    expect(() => r.int(2.5)).toThrow();
  });

  it('normal() has mean 0 and variance 1', () => {
    const r = new Rng(3);
    let s = 0;
    let s2 = 0;
    const n = 50000;
    for (let i = 0; i < n; i++) {
      const x = r.normal();
      s += x;
      s2 += x * x;
    }
    expect(Math.abs(s / n)).toBeLessThan(0.02);
    expect(Math.abs(s2 / n - 1)).toBeLessThan(0.03);
  });

  it('shuffle() permutes in place, deterministically, reaching every ordering', () => {
    const a = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
    const b = new Rng(5).shuffle([...a]);
    expect(b).toEqual(new Rng(5).shuffle([...a]));
    expect([...b].sort((x, y) => x - y)).toEqual(a);
    expect(b).not.toEqual(a);
    const seen = new Set<string>();
    const r = new Rng(9);
    for (let i = 0; i < 600; i++) seen.add(r.shuffle([1, 2, 3]).join());
    expect(seen.size).toBe(6);
  });

  it('resumes from state()', () => {
    const r = new Rng(11);
    r.next();
    const copy = Rng.fromState(r.state());
    expect(copy.nextU32()).toBe(r.nextU32());
    expect(() => Rng.fromState([0, 0, 0, 0])).toThrow(/not all zero/);
  });

  it('seedFor derives distinct, stable sub-seeds', () => {
    expect(seedFor(1, 'epoch', 0)).toBe(seedFor(1, 'epoch', 0));
    const all = new Set([seedFor(1, 'epoch', 0), seedFor(1, 'epoch', 1), seedFor(2, 'epoch', 0), seedFor(1, 'item', 0), seedFor(1)]);
    expect(all.size).toBe(5);
  });
});
