// Image dimensions are read from the header and checked against the pixel limit before any decoder allocates: a
// 100000×100000 PNG header is refused in one line (sharp never sees it), as are the same claims in JPEG, GIF,
// WebP and BMP headers; the sizes read from real files match what sharp decodes.
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../io/file-error.ts';
import { decodeBmp } from './bmp.ts';
import { decodeImage } from './decode-node.ts';
import { imageSize, sniffImageFormat } from './format.ts';
import { encodeBmp, encodePng } from './test-images-node.ts';

const png = encodePng(6, 4, 2, 8, Array.from({ length: 72 }, (_, i) => (i * 37) & 255));
const encoded = async () => {
  const s = sharp(png);
  return {
    png, jpeg: await s.clone().jpeg().toBuffer(), progressive: await s.clone().jpeg({ progressive: true }).toBuffer(), webp: await s.clone().webp().toBuffer(),
    lossless: await s.clone().webp({ lossless: true }).toBuffer(), alpha: await s.clone().ensureAlpha().webp().toBuffer(), gif: await s.clone().gif().toBuffer(),
    bmp: encodeBmp({ width: 6, height: 4, bpp: 24, rows: Array.from({ length: 4 }, () => new Array(18).fill(9)) }),
  };
};
const rejects = async (b: Uint8Array) => {
  try { await decodeImage(b); } catch (e) { expect(e).toBeInstanceOf(FileFormatError); return (e as Error).message; }
  throw new Error('decoded');
};

describe('image headers', () => {
  it('reads the declared size of every format we decode', async () => {
    for (const [name, b] of Object.entries(await encoded())) {
      const bytes = new Uint8Array(b);
      expect(imageSize(bytes, sniffImageFormat(bytes)!), name).toEqual({ width: 6, height: 4 });
    }
  });

  it('refuses a 100000×100000 PNG header before decoding', async () => {
    const b = png.slice();
    new DataView(b.buffer).setUint32(16, 100_000);
    new DataView(b.buffer).setUint32(20, 100_000);
    const rss = process.memoryUsage().rss, t0 = performance.now();
    expect(await rejects(b)).toBe('PNG: 100000×100000 pixels is over the 100 megapixel limit');
    expect(performance.now() - t0).toBeLessThan(1000);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 2 ** 20);
  });

  it('refuses the same claim in JPEG, GIF, WebP and BMP headers', async () => {
    const e = await encoded();
    const jpeg = new Uint8Array(e.jpeg), sof = jpeg.findIndex((x, i) => x === 0xff && jpeg[i + 1] === 0xc0);
    new DataView(jpeg.buffer).setUint16(sof + 5, 60_000); new DataView(jpeg.buffer).setUint16(sof + 7, 60_000);
    expect(await rejects(jpeg)).toBe('JPEG: 60000×60000 pixels is over the 100 megapixel limit');
    const gif = new Uint8Array(e.gif);
    new DataView(gif.buffer).setUint16(6, 65_535, true); new DataView(gif.buffer).setUint16(8, 65_535, true);
    expect(await rejects(gif)).toBe('GIF: 65535×65535 pixels is over the 100 megapixel limit');
    const webp = new Uint8Array(e.lossless), v = new DataView(webp.buffer);
    v.setUint32(21, (v.getUint32(21, true) & ~0xfffffff) | 0x3fff | (0x3fff << 14), true);
    expect(await rejects(webp)).toBe('WEBP: 16384×16384 pixels is over the 100 megapixel limit');
    const bmp = new Uint8Array(e.bmp);
    new DataView(bmp.buffer).setInt32(18, 10_000, true); new DataView(bmp.buffer).setInt32(22, -20_000, true);
    expect(await rejects(bmp)).toBe('BMP: 10000×20000 pixels is over the 100 megapixel limit');
  });

  it('holds BMP, decoded at full size in JavaScript, to 32 megapixels even when the bytes are there', () => {
    const b = encodeBmp({ width: 8, height: 1, bpp: 1, rows: [[0xff]], palette: [[0, 0, 0], [255, 255, 255]] });
    new DataView(b.buffer, b.byteOffset).setInt32(18, 8192, true); new DataView(b.buffer, b.byteOffset).setInt32(22, 8192, true);
    const big = new Uint8Array(b.length + 8192 * 1024); big.set(b);
    expect(() => decodeBmp(big)).toThrow('BMP: 8192x8192 is over the 32 megapixel limit of BMP images');
  });

  it('refuses a zero-sized header in one line', async () => {
    const b = png.slice();
    new DataView(b.buffer).setUint32(16, 0);
    expect(await rejects(b)).toBe('PNG: the header declares a 0×4 image');
  });
});
