// Tests for augment.ts: LoR-VP train transform (resize 9/8, random crop, random flip) and the eval resize.
import { describe, expect, it } from 'vitest';
import { augmentLorVp, augmentLorVpInto, augmentResizeSize, evalTransform, resizeSquare } from './augment.ts';
import { createImage, crop, hflip } from './image.ts';
import type { RgbImage } from './image.ts';
import { Rng } from './rng.ts';

function ramp(w: number, h: number): RgbImage {
  const img = createImage(w, h);
  for (let i = 0; i < img.data.length; i++) img.data[i] = (i % 97) / 97;
  return img;
}

describe('LoR-VP augmentation', () => {
  it('resizes to int(L * 9 / 8) as the reference code does', () => {
    expect(augmentResizeSize(224)).toBe(252);
    expect(augmentResizeSize(384)).toBe(432);
    expect(augmentResizeSize(32)).toBe(36);
    expect(augmentResizeSize(100)).toBe(112); // int(112.5)
    expect(() => augmentResizeSize(0)).toThrow();
  });

  it('is deterministic for a given rng state and varies across draws', () => {
    const img = ramp(40, 30);
    const a = augmentLorVp(img, 16, new Rng(1));
    const b = augmentLorVp(img, 16, new Rng(1));
    expect([a.width, a.height]).toEqual([16, 16]);
    expect(a).toEqual(b);
    const r = new Rng(2);
    const outs = new Set(Array.from({ length: 20 }, () => augmentLorVp(img, 16, r).data.join()));
    expect(outs.size).toBeGreaterThan(10);
  });

  it('writes the same values and draws the same numbers straight into a batch buffer (augmentLorVpInto)', () => {
    for (const L of [16, 32]) {
      const img = resizeSquare(ramp(50, 20), augmentResizeSize(L));
      const a = new Rng(5), b = new Rng(5);
      const out = new Float32Array(2 + 40 * 3 * L * L).fill(-1);
      for (let k = 0; k < 40; k++) {
        const want = augmentLorVp(img, L, a);
        augmentLorVpInto(img, L, b, out, 2 + k * 3 * L * L);
        expect(out.subarray(2 + k * 3 * L * L, 2 + (k + 1) * 3 * L * L)).toEqual(want.data);
      }
      expect(b.state()).toEqual(a.state());
      expect(out.subarray(0, 2)).toEqual(Float32Array.of(-1, -1));
    }
    expect(() => augmentLorVpInto(ramp(20, 20), 16, new Rng(0), new Float32Array(768), 0)).toThrow(/18x18 expected/);
  });

  it('is resize -> crop at (int(S-L+1), int(S-L+1)) -> flip if next() < 0.5, in that draw order', () => {
    const img = ramp(50, 20);
    for (let seed = 0; seed < 10; seed++) {
      const rng = new Rng(seed);
      const mirror = Rng.fromState(rng.state());
      const out = augmentLorVp(img, 16, rng);
      const base = resizeSquare(img, 18);
      const top = mirror.int(3);
      const left = mirror.int(3);
      const c = crop(base, left, top, 16, 16);
      expect(out).toEqual(mirror.next() < 0.5 ? hflip(c) : c);
      expect(rng.state()).toEqual(mirror.state());
    }
  });

  it('flips about half the time and reaches every crop offset', () => {
    const img = ramp(18, 18); // already S x S for L = 16: only crop and flip run
    const r = new Rng(4);
    let flips = 0;
    const offsets = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const probe = Rng.fromState(r.state());
      offsets.add(`${probe.int(3)},${probe.int(3)}`);
      if (probe.next() < 0.5) flips++;
      augmentLorVp(img, 16, r);
    }
    expect(offsets.size).toBe(9);
    expect(flips).toBeGreaterThan(160);
    expect(flips).toBeLessThan(240);
  });

  it('evalTransform is a plain square resize, skipped when the size already matches', () => {
    const img = ramp(31, 17);
    const out = evalTransform(img, 8);
    expect([out.width, out.height]).toEqual([8, 8]);
    const same = createImage(8, 8);
    expect(evalTransform(same, 8)).toBe(same);
  });
});
