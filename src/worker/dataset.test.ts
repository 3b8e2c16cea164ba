// The worker dataset's data path against the plain pipeline (decode → resize → LoR-VP augmentation): batches written
// straight into the buffer, compact 8-bit cache entries, prefetching and warming give the same floats and the same
// rng draws, decode each image once within the cache's budget, and hold more images in it than floats would (when
// floats would not hold them all).
import { describe, expect, it } from 'vitest';
import { augmentLorVp, augmentResizeSize, resizeSquare } from '../data/augment.ts';
import type { ImageCodec } from '../data/decode-browser.ts';
import { decodeImage } from '../data/decode-node.ts';
import { createImage, type RgbImage } from '../data/image.ts';
import { Rng } from '../data/rng.ts';
import { shapes } from '../store/test-harness.ts';
import { compactOf, Dataset, expandCompact } from './dataset.ts';

/** onnxruntime-free Node codec (sharp) that counts its decodes. */
function countingCodec() {
  const c = { decodes: 0 } as ImageCodec & { decodes: number };
  c.decode = async (blob) => { c.decodes++; return decodeImage(new Uint8Array(await blob.arrayBuffer())); };
  c.thumbnail = async () => new Blob([new Uint8Array(4)]);
  return c;
}

const noGate = async () => {};

async function reference(ds: Dataset, files: number[], L: number, augment: boolean, rng: Rng): Promise<Float32Array> {
  const per = 3 * L * L, out = new Float32Array(files.length * per);
  for (const [j, f] of files.entries()) {
    const img = await decodeImage(new Uint8Array(await ds.files[f].blob.arrayBuffer()));
    out.set((augment ? augmentLorVp(resizeSquare(img, augmentResizeSize(L)), L, rng) : resizeSquare(img, L)).data, j * per);
  }
  return out;
}

describe('worker dataset', () => {
  it('keeps 8-bit images as bytes exactly, and refuses values that are not k/255', () => {
    const img: RgbImage = createImage(5, 3);
    for (let i = 0; i < img.data.length; i++) img.data[i] = ((i * 37) % 256) / 255;
    const c = compactOf(img)!;
    expect(c.bytes.byteLength).toBe(img.data.length);
    expect(expandCompact(c).data).toEqual(img.data);
    img.data[4] = 0.5; // a resized value: not a byte / 255
    expect(compactOf(img)).toBeUndefined();
    img.data[4] = 2;
    expect(compactOf(img)).toBeUndefined();
  });

  // 50 kB: too small for the 16×16 shapes as floats at 16 or 18, enough as bytes (then cached as bytes). loadSize:
  // the size the folder was checked at (none: the data came before the backbone; 99: another backbone's)
  const cases = [[16, false, undefined, undefined], [16, true, undefined, undefined], [16, false, 50_000, undefined], [16, true, 50_000, undefined],
    [8, false, undefined, undefined], [8, true, undefined, undefined], [16, true, undefined, 99], [8, false, undefined, 99]] as const;
  for (const [L, augment, cacheBytes, loadSize] of cases) {
    it(`loads the same floats and draws the same numbers as the plain pipeline (L ${L}, augment ${augment}, cache ${cacheBytes ?? 'default'}, checked at ${loadSize ?? 'no size'}), prefetched or not`, async () => {
      const codec = countingCodec();
      const { dataset: ds } = await Dataset.load(shapes(), codec, { cacheBytes, size: loadSize });
      const split = ds.split(0.2, 3);
      const src = ds.source(split.train, L, noGate);
      const files = split.train.map((i) => ds.folder.items[i].file);
      const n = src.size, per = 3 * L * L;
      const order = Array.from({ length: n }, (_, i) => (i * 7) % n);
      const want = await reference(ds, order.map((i) => files[i]), L, augment, new Rng(11));
      const wantRng = new Rng(11);
      if (augment) for (let i = 0; i < n; i++) { wantRng.int(augmentResizeSize(L) - L + 1); wantRng.int(augmentResizeSize(L) - L + 1); wantRng.next(); }
      for (const pre of [true, false]) {
        const rng = new Rng(11), got = new Float32Array(n * per);
        const before = codec.decodes;
        for (let start = 0; start < n; start += 4) {
          const idx = order.slice(start, start + 4);
          if (pre) src.prefetch!(order.slice(start + 4, start + 8), augment);
          const buf = new Float32Array(idx.length * per);
          await src.load(idx, augment, rng, buf);
          got.set(buf, start * per);
        }
        expect(got).toEqual(want);
        expect(rng.state()).toEqual(wantRng.state());
        // checked before the backbone was known: never decoded again; else once each (the first pass), all then kept
        expect(codec.decodes - before).toBe(pre && loadSize ? n : 0);
      }
    });
  }

  it('holds an image as its bytes when floats would overflow the budget, so it keeps more images', async () => {
    const L = 16, floatBytes = 3 * L * L * 4;
    // a budget for 15 images as floats: as bytes (16×16×3) all of them fit
    const codec = countingCodec();
    const { dataset: ds } = await Dataset.load(shapes(), codec, { size: L, cacheBytes: 15 * floatBytes });
    const n = ds.folder.items.length;
    expect(n).toBeGreaterThan(15);
    expect(codec.decodes).toBe(n);
    for (let i = 0; i < n; i++) await ds.image(ds.folder.items[i].file, L);
    expect(codec.decodes).toBe(n);
    // at L = 8 the 16×16 images are more than twice the output: cached as resized floats, 10 of them
    const small = countingCodec();
    const { dataset: d8 } = await Dataset.load(shapes(), small, { size: 8, cacheBytes: 10 * 3 * 8 * 8 * 4 });
    for (let i = 0; i < n; i++) await d8.image(d8.folder.items[i].file, 8);
    expect(small.decodes - n).toBe(n - 10);
  });

  it('decodes nothing again when the data came before the backbone: warming at its size resizes the kept bytes', async () => {
    const codec = countingCodec();
    const { dataset: ds } = await Dataset.load(shapes(), codec, {});
    const n = ds.folder.items.length;
    await ds.warm(16);
    for (let i = 0; i < n; i++) await ds.image(ds.folder.items[i].file, 16);
    expect(codec.decodes).toBe(n);
    // a budget that keeps 10 of them as bytes: the others are decoded when asked for
    const tight = countingCodec();
    const { dataset: d2 } = await Dataset.load(shapes(), tight, { cacheBytes: 10 * 16 * 16 * 3 });
    await d2.warm(16);
    expect(tight.decodes - n).toBe(0); // the budget is full: warming stops
    for (let i = 0; i < n; i++) await d2.image(d2.folder.items[i].file, 16);
    expect(tight.decodes - n).toBe(n - 10);
  });
});
