// The worker's dataset: dropped files checked and labelled (folder-browser rules), decoded and resized on demand
// with a byte-budgeted cache keyed by (file, size), and turned into the trainer's ImageSources — the same split,
// resize and LoR-VP augmentation as the CLI's folder source.
import { augmentLorVp, augmentResizeSize, resizeSquare } from '../data/augment.ts';
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

async function pool(n: number, width: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  const run = async () => { while (next < n) await task(next++); };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(width, n)) }, run));
}

export class Dataset {
  private readonly cache = new Map<string, Promise<RgbImage>>();
  private used = 0;

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
    const warm: Array<[number, RgbImage]> = [];
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
        if (opts.size && warmBytes < budget) {
          const small = resizeSquare(img, opts.size);
          if (warmBytes + small.data.byteLength <= budget) { warm.push([c.file, small]); warmBytes += small.data.byteLength; }
        }
      } catch (e) {
        reasons[i] = e instanceof Error ? e.message.split('\n')[0] : String(e);
      }
      opts.onProgress?.(++done, plan.candidates.length);
    });
    const folder = finishFolder(plan, reasons);
    const ds = new Dataset(files, folder, codec, budget);
    if (opts.size) for (const [file, img] of warm) ds.put(file, opts.size, img);
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

  private put(file: number, size: number, img: RgbImage): void {
    const key = `${size}:${file}`;
    if (this.cache.has(key) || this.used + img.data.byteLength > this.budget) return;
    this.used += img.data.byteLength;
    this.cache.set(key, Promise.resolve(img));
  }

  /** The image of file `file` resized to size × size (cached within the budget). */
  image(file: number, size: number): Promise<RgbImage> {
    const key = `${size}:${file}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const job = this.codec.decode(this.files[file].blob, PRESHRINK * size).then((img) => resizeSquare(img, size));
    if (this.used < this.budget) {
      this.cache.set(key, job);
      job.then((img) => { if (this.used + img.data.byteLength <= this.budget) this.used += img.data.byteLength; else this.cache.delete(key); }, () => this.cache.delete(key));
    }
    return job;
  }

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
    return {
      size: items.length,
      labels: Int32Array.from(items, (it) => it.label),
      paths: items.map((it) => it.path),
      load: async (idx: number[], augment: boolean, rng: Rng, out: Float32Array) => {
        await gate();
        // decode in parallel, augment in order (the rng stream must not depend on decode timing)
        const size = augment ? augmentResizeSize(L) : L;
        const imgs = await Promise.all(idx.map((i) => this.image(items[i].file, size)));
        imgs.forEach((img, j) => out.set((augment ? augmentLorVp(img, L, rng) : img).data, j * per));
      },
    };
  }
}
