// The worker's dataset: dropped files checked and labelled (folder-browser rules), decoded and resized on demand
// with a byte-budgeted cache keyed by (file, size), and turned into the trainer's ImageSources — the same split,
// resize and LoR-VP augmentation as the CLI's folder source. A cached image is its resized floats when the whole
// dataset fits the budget that way (nothing is resized twice); else its decoded 8-bit pixels when those are no more
// than twice the output's pixels (a 28×28 PNG for a 32×32 backbone: 2.3 KiB instead of 12 KiB; resized again on
// use, to the same values), so that 5× more images stay decoded. Images decoded to check a folder before the
// backbone's size is known are kept as bytes (within the budget) and resized from there, never decoded twice. Batches are written straight into
// the trainer's buffer, and the next batch's images are requested while the current one loads (prefetch).
import { augmentLorVpInto, augmentResizeSize, resizeSquare } from '../data/augment.ts';
import type { ImageCodec } from '../data/decode-browser.ts';
import { finishFolder, planFolder, type FolderResult } from '../data/folder-browser.ts';
import type { RgbImage } from '../data/image.ts';
import type { Rng } from '../data/rng.ts';
import { stratifiedSplit } from '../data/split.ts';
import type { ImageSource } from '../engine/trainer.ts';
import type { DataFile, DatasetSummary } from './protocol.ts';

const THUMBS_PER_CLASS = 6;
const THUMB_SIZE = 48;
/** Decode-time pre-shrink: axes longer than PRESHRINK × the target size are reduced first (as the CLI). */
const PRESHRINK = 4;
/** Decoded images kept per dataset (npm run bench:data: with 512 MiB a 3,000-photo run peaked at 1,547 MiB in the
 * renderer, over the 1.5 GiB a tab should stay under). */
const CACHE_BYTES = 256 * 2 ** 20;
/** Where floats would overflow the budget, decoded images of at most COMPACT_AREA × the output's pixels are cached as
 * bytes and resized on use. */
const COMPACT_AREA = 2;

/** A decoded image's 8-bit samples (planar RGB), when its floats are exactly those bytes / 255 (8-bit sources). */
interface Compact { width: number; height: number; bytes: Uint8Array }
type Entry = RgbImage | Compact;
const isCompact = (e: Entry): e is Compact => 'bytes' in e;
const entryBytes = (e: Entry) => (isCompact(e) ? e.bytes.byteLength : e.data.byteLength);

/** The image as bytes when every value is k/255 exactly (toRgbFloat of 8-bit samples), else undefined. */
export function compactOf(img: RgbImage): Compact | undefined {
  const d = img.data, bytes = new Uint8Array(d.length), scale = 1 / 255, f32 = new Float32Array(1);
  for (let i = 0; i < d.length; i++) {
    const b = Math.round(d[i] * 255);
    f32[0] = b * scale;
    if (b < 0 || b > 255 || f32[0] !== d[i]) return undefined;
    bytes[i] = b;
  }
  return { width: img.width, height: img.height, bytes };
}

/** The floats a Compact was made from (toRgbFloat's arithmetic: bytes × (1/255), rounded to float32). */
export function expandCompact(c: Compact): RgbImage {
  const data = new Float32Array(c.bytes.length), scale = 1 / 255;
  for (let i = 0; i < data.length; i++) data[i] = c.bytes[i] * scale;
  return { width: c.width, height: c.height, data };
}

/** Whether `count` images at size × size overflow a cache of `budget` bytes as floats (then small ones are kept as
 * bytes: a resize per use buys room for more images). */
export const needsCompact = (count: number, size: number, budget: number): boolean => count * 12 * size * size > budget;

/** What the cache keeps of a decoded image wanted at size × size. */
export function cacheEntry(decoded: RgbImage, size: number, compactIfSmall: boolean): Entry {
  const compact = compactIfSmall && decoded.width * decoded.height <= COMPACT_AREA * size * size ? compactOf(decoded) : undefined;
  return compact ?? resizeSquare(decoded, size);
}

const resolveEntry = (e: Entry, size: number): RgbImage => (isCompact(e) ? resizeSquare(expandCompact(e), size) : e);

async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => { while (next < n) await task(next++); };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, n)) }, run));
}

export class Dataset {
  private readonly cache = new Map<string, Promise<Entry>>();
  /** Decodes asked for ahead (prefetch) that the cache's budget could not keep: taken by the next image() call. */
  private readonly ahead = new Map<string, Promise<Entry>>();
  /** Images decoded to check the folder before the backbone's size was known, as bytes (8-bit sources within the
   * budget): any size is resized from them later without decoding again. */
  private readonly decoded = new Map<number, Compact>();
  private used = 0;
  private warming = 0;

  private constructor(readonly files: DataFile[], readonly folder: FolderResult, private readonly codec: ImageCodec, private readonly budget: number) {}

  /** Checks every candidate image by decoding it (unreadable files are listed, not fatal) and makes thumbnails.
   * When `size` is known the decoded images also warm the cache at that size. */
  static async load(dropped: DataFile[], codec: ImageCodec, opts: { size?: number; onProgress?: (done: number, total: number) => void; cacheBytes?: number } = {}): Promise<{ dataset: Dataset; summary: DatasetSummary }> {
    const files = dropped.filter((f) => !f.emptyDir);
    const plan = planFolder(files.map((f) => f.path), dropped.filter((f) => f.emptyDir).map((f) => f.path));
    const reasons: (string | undefined)[] = new Array(plan.candidates.length).fill(undefined);
    const thumbs = new Map<number, Promise<Blob>>();
    const perClassThumbs = new Map<string, number>();
    // images decoded for the check warm the cache — resized to L at once and only as many as its budget holds
    // (holding every decoded photo until the end took 7 GiB for 3,000 photos of 500×375)
    const budget = opts.cacheBytes ?? CACHE_BYTES;
    const warm: Array<[number, Entry]> = [];
    let warmBytes = 0, done = 0;
    await pool(plan.candidates.length, 4, async (i) => {
      const c = plan.candidates[i];
      try {
        const img = await codec.decode(files[c.file].blob, opts.size ? PRESHRINK * augmentResizeSize(opts.size) : undefined);
        const k = perClassThumbs.get(c.cls) ?? 0;
        if (k < THUMBS_PER_CLASS && (c.split ?? 'train') === 'train') {
          perClassThumbs.set(c.cls, k + 1);
          thumbs.set(c.file, codec.thumbnail(img, THUMB_SIZE));
        }
        if (warmBytes < budget) {
          // at the backbone's size when it is known, else as decoded (the data often arrives first)
          const small = opts.size ? cacheEntry(img, opts.size, needsCompact(plan.candidates.length, opts.size, budget)) : compactOf(img);
          if (small && warmBytes + entryBytes(small) <= budget) { warm.push([c.file, small]); warmBytes += entryBytes(small); }
        }
      } catch (e) {
        reasons[i] = e instanceof Error ? e.message.split('\n')[0] : String(e);
      }
      opts.onProgress?.(++done, plan.candidates.length);
    });
    const folder = finishFolder(plan, reasons);
    const ds = new Dataset(files, folder, codec, budget);
    for (const [file, e] of warm) {
      if (opts.size) ds.put(file, opts.size, e);
      else if (isCompact(e)) { ds.decoded.set(file, e); ds.used += entryBytes(e); }
    }
    const C = folder.classes.length;
    const counts = { train: new Array<number>(C).fill(0), val: new Array<number>(C).fill(0) };
    const valSet = new Set(folder.val ?? []);
    folder.items.forEach((it, i) => {
      if (folder.layout === 'splits' && !valSet.has(i) && it.split !== 'train') return;
      (valSet.has(i) ? counts.val : counts.train)[it.label]++;
    });
    const thumbnails: Blob[][] = folder.classes.map(() => []);
    for (const it of folder.items) {
      const t = thumbs.get(it.file);
      if (t && thumbnails[it.label].length < THUMBS_PER_CLASS) thumbnails[it.label].push(await t);
    }
    const summary: DatasetSummary = { classes: folder.classes, layout: folder.layout, counts, thumbnails, skipped: folder.skipped, warnings: folder.warnings, total: folder.items.length };
    return { dataset: ds, summary };
  }

  private put(file: number, size: number, e: Entry): void {
    const key = `${size}:${file}`;
    if (this.cache.has(key) || this.used + entryBytes(e) > this.budget) return;
    this.used += entryBytes(e);
    this.cache.set(key, Promise.resolve(e));
  }

  /** The cache entry of file `file` at size × size: cached, decoded ahead, or decoded now (kept within the budget). */
  private entry(file: number, size: number): Promise<Entry> {
    const key = `${size}:${file}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const early = this.ahead.get(key);
    if (early) { this.ahead.delete(key); return early; }
    const compact = needsCompact(this.folder.items.length, size, this.budget), known = this.decoded.get(file);
    // what decoding again would give: the image was decoded whole, and a decode for this size would not pre-shrink it
    const job = known && known.width <= PRESHRINK * size && known.height <= PRESHRINK * size
      ? Promise.resolve(cacheEntry(expandCompact(known), size, compact))
      : this.codec.decode(this.files[file].blob, PRESHRINK * size).then((img) => cacheEntry(img, size, compact));
    if (this.used < this.budget) {
      this.cache.set(key, job);
      job.then((e) => { if (this.used + entryBytes(e) <= this.budget) this.used += entryBytes(e); else this.cache.delete(key); }, () => this.cache.delete(key));
    }
    return job;
  }

  /** The image of file `file` resized to size × size (cached within the budget). */
  async image(file: number, size: number): Promise<RgbImage> {
    return resolveEntry(await this.entry(file, size), size);
  }

  /** Starts decoding these files at `size` (the next batch) so that their decoding overlaps the current step. */
  prefetch(files: number[], size: number): void {
    for (const file of files) {
      const key = `${size}:${file}`;
      if (this.cache.has(key) || this.ahead.has(key)) continue;
      const job = this.entry(file, size);
      job.catch(() => undefined);   // the load that takes it reports the failure
      if (!this.cache.has(key)) this.ahead.set(key, job);
    }
  }

  /** Decodes every image at size × size into the cache, 4 at a time, until the budget is full — idle work after a
   * backbone of another size arrives (the data came first). A later warm() or a train run cancels nothing: they
   * share the cache's decodes; `stopWarming()` ends it (new data). */
  async warm(size: number): Promise<void> {
    const token = ++this.warming;
    await pool(this.folder.items.length, 4, async (i) => {
      if (token !== this.warming || this.used >= this.budget) return;
      await this.entry(this.folder.items[i].file, size).catch(() => undefined);
    });
  }

  stopWarming(): void { this.warming++; }

  /** Train and validation item indices: the given split folders, else a seeded stratified split. */
  split(valFraction: number, seed: number): { train: number[]; val: number[] } {
    const f = this.folder;
    if (f.train && f.val) return { train: f.train, val: f.val };
    const s = stratifiedSplit(f.items.map((it) => it.label), valFraction, seed);
    return { train: s.train, val: s.val };
  }

  /** An ImageSource over some items at size L; `gate` is awaited before every batch (pause). */
  source(indices: number[], L: number, gate: () => Promise<void>): ImageSource & { paths: string[] } {
    const items = indices.map((i) => this.folder.items[i]);
    const per = 3 * L * L;
    this.ahead.clear();
    return {
      size: items.length,
      labels: Int32Array.from(items, (it) => it.label),
      paths: items.map((it) => it.path),
      load: async (idx: number[], augment: boolean, rng: Rng, out: Float32Array) => {
        await gate();
        // decode in parallel, augment in order (the rng stream must not depend on decode timing)
        const size = augment ? augmentResizeSize(L) : L;
        const imgs = await Promise.all(idx.map((i) => this.image(items[i].file, size)));
        imgs.forEach((img, j) => { if (augment) augmentLorVpInto(img, L, rng, out, j * per); else out.set(img.data, j * per); });
      },
      prefetch: (idx: number[], augment: boolean) => this.prefetch(idx.map((i) => items[i].file), augment ? augmentResizeSize(L) : L),
    };
  }
}
