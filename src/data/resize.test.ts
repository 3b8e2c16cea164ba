// Tests for resize.ts against torch.nn.functional.interpolate (torch 1.13) outputs stored as .npy.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNpy } from '../io/npy.ts';
import { resizeBilinear, resizePlanes } from './resize.ts';

/* src/data/testdata/resize_*.npy were written once with:
/usr/bin/python3 -c "
import numpy as np, torch, torch.nn.functional as F
x = np.random.default_rng(7).random((3, 7, 10), dtype=np.float32)
np.save('resize_input.npy', x)
for (h, w) in [(4, 6), (3, 17), (11, 13), (1, 1), (2, 3)]:
    for aa in (False, True):
        y = F.interpolate(torch.from_numpy(x)[None], size=(h, w), mode='bilinear', align_corners=False, antialias=aa)[0]
        np.save(f'resize_{h}x{w}_{\"aa\" if aa else \"plain\"}.npy', y.numpy())
x = np.random.default_rng(8).random((3, 24, 31), dtype=np.float32)
np.save('resize_input_24x31.npy', x)
for (h, w) in [(3, 4), (5, 40)]:
    for aa in (False, True):
        y = F.interpolate(torch.from_numpy(x)[None], size=(h, w), mode='bilinear', align_corners=False, antialias=aa)[0]
        np.save(f'resize_24x31_to_{h}x{w}_{\"aa\" if aa else \"plain\"}.npy', y.numpy())
" */
const npy = (name: string) => readNpy(new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url))));
const input = npy('resize_input.npy');
const img = { width: input.shape[2], height: input.shape[1], data: input.data as Float32Array };

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

describe('resizeBilinear matches torch interpolate(bilinear, align_corners=False)', () => {
  const sizes: Array<[number, number]> = [[4, 6], [3, 17], [11, 13], [1, 1], [2, 3]];
  for (const [h, w] of sizes) {
    for (const aa of [false, true]) {
      it(`7x10 -> ${h}x${w}, antialias=${aa}`, () => {
        const expected = npy(`resize_${h}x${w}_${aa ? 'aa' : 'plain'}.npy`);
        expect(expected.shape).toEqual([3, h, w]);
        const out = resizeBilinear(img, w, h, { antialias: aa });
        expect([out.width, out.height]).toEqual([w, h]);
        expect(maxAbsDiff(out.data, expected.data as Float32Array)).toBeLessThan(2e-6);
      });
    }
  }
});

describe('large shrink factors (24x31 input)', () => {
  const big = npy('resize_input_24x31.npy');
  const bigImg = { width: 31, height: 24, data: big.data as Float32Array };
  for (const [h, w] of [[3, 4], [5, 40]]) {
    for (const aa of [false, true]) {
      it(`24x31 -> ${h}x${w}, antialias=${aa}`, () => {
        const expected = npy(`resize_24x31_to_${h}x${w}_${aa ? 'aa' : 'plain'}.npy`);
        const out = resizeBilinear(bigImg, w, h, { antialias: aa });
        expect(maxAbsDiff(out.data, expected.data as Float32Array)).toBeLessThan(2e-6);
      });
    }
  }
});

describe('resizePlanes', () => {
  it('returns a copy when the size is unchanged', () => {
    const out = resizeBilinear(img, 10, 7);
    expect(out.data).toEqual(img.data);
    expect(out.data).not.toBe(img.data);
  });

  it('keeps a constant image constant and works for any channel count', () => {
    const flat = new Float32Array(2 * 5 * 5).fill(0.25);
    for (const aa of [false, true]) {
      const out = resizePlanes(flat, 2, 5, 5, 3, 8, { antialias: aa });
      expect(out.length).toBe(2 * 3 * 8);
      expect(out.every((v) => Math.abs(v - 0.25) < 1e-7)).toBe(true);
    }
  });

  it('rejects bad sizes', () => {
    expect(() => resizePlanes(new Float32Array(4), 1, 2, 2, 0, 2)).toThrow(/output height/);
    expect(() => resizePlanes(new Float32Array(3), 1, 2, 2, 1, 1)).toThrow(/expected 1x2x2/);
  });
});
