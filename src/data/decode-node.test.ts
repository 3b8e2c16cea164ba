// Tests for decode-node.ts: real JPEG/PNG/WebP/GIF files written by sharp, hand-made 16-bit PNG and BMP,
// EXIF orientation, corrupt input, and ImageLoader's resize + cache.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { ImageLoader, decodeImage } from './decode-node.ts';
import type { RgbImage } from './image.ts';
import { encodeBmp, encodePng } from './test-images-node.ts';

const solid = (format: 'png' | 'jpeg' | 'webp' | 'gif', rgb: [number, number, number], w = 16, h = 12) =>
  sharp({ create: { width: w, height: h, channels: 3, background: { r: rgb[0], g: rgb[1], b: rgb[2] } } })
    .toFormat(format)
    .toBuffer()
    .then((b) => new Uint8Array(b));

function meanRgb(img: RgbImage): number[] {
  const n = img.width * img.height;
  return [0, 1, 2].map((c) => img.data.subarray(c * n, (c + 1) * n).reduce((s, v) => s + v, 0) / n);
}

describe('decodeImage', () => {
  const colour: [number, number, number] = [200, 40, 90];
  const expected = colour.map((v) => v / 255);

  it.each([
    ['png', 0.5 / 255],
    ['gif', 0.5 / 255],
    ['webp', 6 / 255],
    ['jpeg', 6 / 255],
  ] as const)('decodes a solid %s to its colour', async (format, tol) => {
    const img = await decodeImage(await solid(format, colour));
    expect([img.width, img.height]).toEqual([16, 12]);
    const mean = meanRgb(img);
    for (let c = 0; c < 3; c++) expect(Math.abs(mean[c] - expected[c])).toBeLessThan(tol);
  });

  it('decodes 16-bit PNGs at full precision (RGB, RGBA, grey, grey+alpha)', async () => {
    const rgb = await decodeImage(encodePng(2, 1, 2, 16, [65535, 0, 1000, 30000, 40000, 50000]));
    expect([...rgb.data]).toEqual([65535, 30000, 0, 40000, 1000, 50000].map((v) => Math.fround(v / 65535)));
    const rgba = await decodeImage(encodePng(1, 1, 6, 16, [1234, 2345, 3456, 0]));
    expect([...rgba.data]).toEqual([1234, 2345, 3456].map((v) => Math.fround(v / 65535)));
    const grey = await decodeImage(encodePng(2, 1, 0, 16, [65535, 12345]));
    expect([...grey.data]).toEqual([1, 12345 / 65535, 1, 12345 / 65535, 1, 12345 / 65535].map(Math.fround));
    const greyA = await decodeImage(encodePng(1, 1, 4, 16, [777, 65535]));
    expect([...greyA.data]).toEqual([777, 777, 777].map((v) => Math.fround(v / 65535)));
  });

  it('decodes 8-bit grey and RGBA PNGs, dropping alpha', async () => {
    const grey = await decodeImage(encodePng(2, 1, 0, 8, [0, 51]));
    expect([...grey.data]).toEqual([0, 0.2, 0, 0.2, 0, 0.2].map(Math.fround));
    const rgba = await decodeImage(encodePng(1, 1, 6, 8, [10, 20, 30, 0]));
    expect([...rgba.data]).toEqual([10, 20, 30].map((v) => Math.fround(v / 255)));
  });

  it('decodes BMP through its own decoder', async () => {
    const img = await decodeImage(encodeBmp({ width: 1, height: 1, bpp: 24, rows: [[255, 0, 51]] }));
    expect([...img.data]).toEqual([0.2, 0, 1].map(Math.fround));
  });

  it('applies EXIF orientation', async () => {
    const wide = await sharp({ create: { width: 4, height: 2, channels: 3, background: '#ff0000' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const img = await decodeImage(new Uint8Array(wide));
    expect([img.width, img.height]).toEqual([2, 4]);
  });

  it('reduces long axes while decoding when asked (after EXIF orientation)', async () => {
    const big = await solid('png', colour, 200, 30);
    const img = await decodeImage(big, { maxSide: 40 });
    expect([img.width, img.height]).toEqual([40, 30]);
    for (const [c, v] of meanRgb(img).entries()) expect(Math.abs(v - expected[c])).toBeLessThan(1 / 255);
    const rotated = await sharp({ create: { width: 60, height: 20, channels: 3, background: '#00ff00' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toBuffer();
    const r = await decodeImage(new Uint8Array(rotated), { maxSide: 30 });
    expect([r.width, r.height]).toEqual([20, 30]);
  });

  it('rejects text, truncated and garbage files with one-line reasons', async () => {
    await expect(decodeImage(new TextEncoder().encode('just some text'))).rejects.toThrow(/^not a JPEG, PNG, WebP, BMP or GIF image$/);
    const jpg = await solid('jpeg', colour, 64, 64);
    const err = await decodeImage(jpg.subarray(0, jpg.length / 2)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/^JPEG decode failed: /);
    expect((err as Error).message).not.toContain('\n');
    const fake = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4, 5, 6, 7, 8]);
    await expect(decodeImage(fake)).rejects.toThrow(/^PNG decode failed/);
  });
});

describe('ImageLoader', () => {
  const dir = mkdtempSync(join(tmpdir(), 'vp-loader-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('resizes to size x size and caches by (path, size) within the budget', async () => {
    const path = join(dir, 'a.png');
    writeFileSync(path, await solid('png', [255, 0, 0], 30, 20));
    const loader = new ImageLoader();
    const [a, b] = await Promise.all([loader.load(path, 8), loader.load(path, 8)]);
    expect(a).toBe(b);
    expect([a.width, a.height]).toEqual([8, 8]);
    expect(meanRgb(a).map((v) => Math.round(v * 1000) / 1000)).toEqual([1, 0, 0]);
    expect(loader.cachedBytes).toBe(3 * 8 * 8 * 4);
    const aug = await loader.loadForAugment(path, 8);
    expect([aug.width, aug.height]).toEqual([9, 9]);
    expect(await loader.load(path, 8)).toBe(a);

    const tiny = new ImageLoader({ cacheBytes: 100 });
    const t1 = await tiny.load(path, 8);
    expect(await tiny.load(path, 8)).not.toBe(t1);
    expect(tiny.cachedBytes).toBe(0);
  });

  it('preshrinks big images with sharp, staying close to the pure JS resize', async () => {
    // a smooth two-axis gradient, 400x300
    const w = 400;
    const h = 300;
    const raw = Buffer.alloc(w * h * 3);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) raw.set([Math.round((255 * x) / w), Math.round((255 * y) / h), 128], (y * w + x) * 3);
    }
    const path = join(dir, 'gradient.png');
    writeFileSync(path, await sharp(raw, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
    const fast = await new ImageLoader().load(path, 16);
    const pure = await new ImageLoader({ preshrink: Infinity }).load(path, 16);
    let worst = 0;
    for (let i = 0; i < fast.data.length; i++) worst = Math.max(worst, Math.abs(fast.data[i] - pure.data[i]));
    expect(worst).toBeLessThan(0.01);
  });

  it('does not cache failures', async () => {
    const path = join(dir, 'bad.jpg');
    writeFileSync(path, 'not an image');
    const loader = new ImageLoader();
    await expect(loader.load(path, 8)).rejects.toThrow(/not a JPEG/);
    writeFileSync(path, await solid('jpeg', [0, 0, 255]));
    expect((await loader.load(path, 8)).width).toBe(8);
  });
});
