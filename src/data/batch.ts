// Batching: stacking CHW images into one NCHW Float32Array, per-epoch seeded batch plans, and an async
// iterator that loads, transforms and stacks batches from any indexable labelled source.
import type { RgbImage } from './image.ts';
import { Rng, seedFor } from './rng.ts';

/** Concatenate same-sized images into one NCHW buffer (N = images.length, C = 3). */
export function stackImages(images: readonly RgbImage[]): Float32Array {
  if (images.length === 0) return new Float32Array(0);
  const { width, height } = images[0];
  const per = 3 * width * height;
  const out = new Float32Array(images.length * per);
  images.forEach((img, i) => {
    if (img.width !== width || img.height !== height) {
      throw new Error(`batch: image ${i} is ${img.width}x${img.height}, image 0 is ${width}x${height}`);
    }
    out.set(img.data, i * per);
  });
  return out;
}

export interface BatchPlanOptions {
  batchSize: number;
  /** Shuffle each epoch (default true); false keeps dataset order. */
  shuffle?: boolean;
  /** Seed of the run; epoch e shuffles with seedFor(seed, 'epoch', e), so any epoch can be replayed alone. */
  seed?: number | string;
  /** Epoch number (default 0). */
  epoch?: number;
  /** Drop a final batch smaller than batchSize (default false: the last batch may be smaller). */
  dropLast?: boolean;
}

/** Positions 0..n-1 grouped into the batches of one epoch. */
export function epochBatches(n: number, opts: BatchPlanOptions): number[][] {
  const { batchSize, shuffle = true, seed = 0, epoch = 0, dropLast = false } = opts;
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`batch size must be a positive integer, got ${batchSize}`);
  const order = Array.from({ length: n }, (_, i) => i);
  if (shuffle) new Rng(seedFor(seed, 'epoch', epoch)).shuffle(order);
  const batches: number[][] = [];
  for (let i = 0; i < n; i += batchSize) {
    const b = order.slice(i, i + batchSize);
    if (b.length < batchSize && dropLast) break;
    batches.push(b);
  }
  return batches;
}

/** One labelled example; `get` may be sync or async (e.g. decode on demand). */
export interface Example {
  image: RgbImage;
  label: number;
}

export interface BatchSource {
  length: number;
  /** Example i. `rng` is private to (seed, epoch, i), so augmentation is reproducible whatever order the
   * examples of a batch are loaded in. */
  get(i: number, rng: Rng): Example | Promise<Example>;
}

export interface Batch {
  /** NCHW float32, N = indices.length. */
  images: Float32Array;
  shape: [number, number, number, number];
  labels: Int32Array;
  /** Source indices of the examples, in batch order. */
  indices: number[];
}

/** Batches of one epoch: examples loaded concurrently within a batch, stacked in plan order. */
export async function* iterateBatches(source: BatchSource, opts: BatchPlanOptions): AsyncGenerator<Batch> {
  const seed = opts.seed ?? 0;
  const epoch = opts.epoch ?? 0;
  for (const indices of epochBatches(source.length, opts)) {
    const examples = await Promise.all(indices.map((i) => source.get(i, new Rng(seedFor(seed, 'item', epoch, i)))));
    const { width, height } = examples[0].image;
    yield {
      images: stackImages(examples.map((e) => e.image)),
      shape: [examples.length, 3, height, width],
      labels: Int32Array.from(examples, (e) => e.label),
      indices,
    };
  }
}
