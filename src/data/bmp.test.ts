// Tests for bmp.ts with BMP files assembled byte by byte from the format description.
import { describe, expect, it } from 'vitest';
import { decodeBmp } from './bmp.ts';
import { encodeBmp } from './test-images-node.ts';

describe('decodeBmp', () => {
  it('decodes 24-bit bottom-up rows with padding (BGR order)', () => {
    // 3x2: top row red, green, blue; bottom row white, black, grey
    const bytes = encodeBmp({
      width: 3, height: 2, bpp: 24,
      rows: [[0, 0, 255, 0, 255, 0, 255, 0, 0], [255, 255, 255, 0, 0, 0, 128, 128, 128]],
    });
    const img = decodeBmp(bytes);
    expect([img.width, img.height]).toEqual([3, 2]);
    expect([...img.data]).toEqual([255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 128, 128, 128]);
  });

  it('decodes 32-bit top-down BGRX and bitfield layouts', () => {
    const bgrx = encodeBmp({ width: 2, height: 1, bpp: 32, topDown: true, rows: [[10, 20, 30, 0, 1, 2, 3, 255]] });
    expect([...decodeBmp(bgrx).data]).toEqual([30, 20, 10, 3, 2, 1]);
    const rgba = encodeBmp({
      width: 1, height: 2, bpp: 32, topDown: true,
      masks: [0x000000ff, 0x0000ff00, 0x00ff0000], rows: [[1, 2, 3, 4], [5, 6, 7, 8]],
    });
    expect([...decodeBmp(rgba).data]).toEqual([1, 2, 3, 5, 6, 7]);
  });

  it('decodes 16-bit 555 (default) and 565 (bitfields)', () => {
    // 555: white 0x7fff, pure red 0x7c00; 565: pure green 0x07e0
    const p555 = encodeBmp({ width: 2, height: 1, bpp: 16, rows: [[0xff, 0x7f, 0x00, 0x7c]] });
    expect([...decodeBmp(p555).data]).toEqual([255, 255, 255, 255, 0, 0]);
    const p565 = encodeBmp({ width: 1, height: 1, bpp: 16, masks: [0xf800, 0x07e0, 0x001f], rows: [[0xe0, 0x07]] });
    expect([...decodeBmp(p565).data]).toEqual([0, 255, 0]);
  });

  it('decodes 8-, 4- and 1-bit palette images', () => {
    const palette: Array<[number, number, number]> = [[0, 0, 0], [255, 0, 0], [0, 0, 255]];
    const p8 = encodeBmp({ width: 3, height: 1, bpp: 8, palette, rows: [[2, 1, 0]] });
    expect([...decodeBmp(p8).data]).toEqual([0, 0, 255, 255, 0, 0, 0, 0, 0]);
    const p4 = encodeBmp({ width: 3, height: 1, bpp: 4, palette, rows: [[0x21, 0x00]] });
    expect([...decodeBmp(p4).data]).toEqual([0, 0, 255, 255, 0, 0, 0, 0, 0]);
    const p1 = encodeBmp({ width: 9, height: 1, bpp: 1, palette: palette.slice(0, 2), rows: [[0b10100000, 0b10000000]] });
    expect([...decodeBmp(p1).data.filter((_, i) => i % 3 === 0)]).toEqual([255, 0, 255, 0, 0, 0, 0, 0, 255]);
  });

  it('refuses unsupported or broken files with one-line reasons', () => {
    const rle = encodeBmp({ width: 1, height: 1, bpp: 8, palette: [[0, 0, 0]], rows: [[0]], compression: 1 });
    expect(() => decodeBmp(rle)).toThrow(/RLE-compressed BMP is not supported/);
    const ok = encodeBmp({ width: 4, height: 4, bpp: 24, rows: Array.from({ length: 4 }, () => new Array(12).fill(0)) });
    expect(() => decodeBmp(ok.subarray(0, ok.length - 20))).toThrow(/truncated pixel data/);
    expect(() => decodeBmp(new Uint8Array(30))).toThrow(/not a BMP/);
  });
});
