// Tests for image.ts: channel/bit-depth conversion to planar RGB floats and the per-image ops.
import { describe, expect, it } from 'vitest';
import { createImage, crop, hflip, normalize, toRgbFloat, toRgba8 } from './image.ts';

describe('toRgbFloat', () => {
  it('converts RGB and RGBA (alpha dropped) 8-bit pixels to CHW planes', () => {
    const rgb = toRgbFloat(new Uint8Array([255, 0, 51, 0, 255, 102]), 2, 1, 3, 8);
    expect([...rgb.data]).toEqual([1, 0, 0, 1, 0.2, 0.4].map(Math.fround));
    const rgba = toRgbFloat(new Uint8Array([255, 0, 51, 0, 0, 255, 102, 17]), 2, 1, 4, 8);
    expect(rgba.data).toEqual(rgb.data);
  });

  it('replicates grey and grey+alpha into three planes', () => {
    const g = toRgbFloat(new Uint8Array([0, 255, 51]), 3, 1, 1, 8);
    expect([...g.data]).toEqual([0, 1, 0.2, 0, 1, 0.2, 0, 1, 0.2].map(Math.fround));
    const ga = toRgbFloat(new Uint8Array([0, 9, 255, 0, 51, 255]), 3, 1, 2, 8);
    expect(ga.data).toEqual(g.data);
  });

  it('scales 16-bit samples by 65535 and checks the array type', () => {
    const img = toRgbFloat(new Uint16Array([65535, 0, 257, 1]), 1, 1, 4, 16);
    expect([...img.data]).toEqual([1, 0, 257 / 65535].map(Math.fround));
    expect(() => toRgbFloat(new Uint8Array(3), 1, 1, 3, 16)).toThrow(/Uint16Array/);
    expect(() => toRgbFloat(new Uint16Array(3), 1, 1, 3, 8)).toThrow(/Uint8Array/);
    expect(() => toRgbFloat(new Uint8Array(2), 1, 1, 3, 8)).toThrow(/needs 3/);
    expect(() => toRgbFloat(new Uint8Array(5), 1, 1, 5, 8)).toThrow(/channel count/);
  });
});

describe('image ops', () => {
  // 3x2 image whose value encodes (c, y, x) as c*100 + y*10 + x.
  const img = createImage(3, 2);
  for (let c = 0; c < 3; c++) for (let y = 0; y < 2; y++) for (let x = 0; x < 3; x++) img.data[c * 6 + y * 3 + x] = c * 100 + y * 10 + x;

  it('crop takes a window from every plane', () => {
    const out = crop(img, 1, 1, 2, 1);
    expect(out.width).toBe(2);
    expect([...out.data]).toEqual([11, 12, 111, 112, 211, 212]);
    expect(() => crop(img, 2, 0, 2, 1)).toThrow(/does not fit/);
  });

  it('hflip mirrors each row', () => {
    expect([...hflip(img).data.subarray(0, 6)]).toEqual([2, 1, 0, 12, 11, 10]);
    expect(hflip(hflip(img))).toEqual(img);
  });

  it('normalize applies (x - mean) / std per channel', () => {
    const out = normalize(img, [0, 100, 200], [1, 2, 4]);
    expect(out.data[0]).toBe(0);
    expect(out.data[6 + 4]).toBe(5.5); // (111 - 100) / 2
    expect(out.data[12 + 5]).toBe(3); // (212 - 200) / 4
  });

  it('toRgba8 interleaves, clamps and rounds', () => {
    const small = toRgbFloat(new Uint8Array([10, 20, 30]), 1, 1, 3, 8);
    expect([...toRgba8(small)]).toEqual([10, 20, 30, 255]);
    const wild = { width: 1, height: 1, data: new Float32Array([-1, 2, 0.5]) };
    expect([...toRgba8(wild)]).toEqual([0, 255, 128, 255]);
  });

  it('createImage rejects bad sizes', () => {
    expect(() => createImage(0, 2)).toThrow();
  });
});
