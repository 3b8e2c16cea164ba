// Tests for batch.ts: NCHW stacking, per-epoch batch plans, and the async batch iterator.
import { describe, expect, it } from 'vitest';
import { epochBatches, iterateBatches, stackImages } from './batch.ts';
import type { Batch, BatchSource } from './batch.ts';
import { createImage } from './image.ts';

describe('stackImages', () => {
  it('concatenates CHW images into NCHW', () => {
    const a = createImage(2, 1);
    a.data.set([1, 2, 3, 4, 5, 6]);
    const b = createImage(2, 1);
    b.data.set([7, 8, 9, 10, 11, 12]);
    expect([...stackImages([a, b])]).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
    expect(() => stackImages([a, createImage(1, 2)])).toThrow(/image 1 is 1x2/);
    expect(stackImages([]).length).toBe(0);
  });
});

describe('epochBatches', () => {
  it('keeps dataset order without shuffle; the last batch may be smaller', () => {
    expect(epochBatches(7, { batchSize: 3, shuffle: false })).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
    expect(epochBatches(7, { batchSize: 3, shuffle: false, dropLast: true })).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(epochBatches(0, { batchSize: 3 })).toEqual([]);
    expect(() => epochBatches(3, { batchSize: 0 })).toThrow();
  });

  it('shuffles each epoch differently, reproducibly per (seed, epoch)', () => {
    const e0 = epochBatches(20, { batchSize: 8, seed: 3, epoch: 0 });
    const e1 = epochBatches(20, { batchSize: 8, seed: 3, epoch: 1 });
    expect(e0.map((b) => b.length)).toEqual([8, 8, 4]);
    expect(e0.flat().sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
    expect(e0.flat()).not.toEqual(e1.flat());
    expect(epochBatches(20, { batchSize: 8, seed: 3, epoch: 1 })).toEqual(e1);
    expect(epochBatches(20, { batchSize: 8, seed: 4, epoch: 1 })).not.toEqual(e1);
  });
});

describe('iterateBatches', () => {
  // An async source whose examples resolve in reverse order and whose pixels depend on the example's rng.
  const source: BatchSource = {
    length: 5,
    async get(i, rng) {
      await new Promise((r) => setTimeout(r, (5 - i) * 2));
      const image = createImage(2, 2);
      image.data.fill(i + rng.next());
      return { image, label: i % 2 };
    },
  };
  const collect = async (opts: Parameters<typeof iterateBatches>[1]) => {
    const out: Batch[] = [];
    for await (const b of iterateBatches(source, opts)) out.push(b);
    return out;
  };

  it('yields stacked images, labels and indices in plan order', async () => {
    const batches = await collect({ batchSize: 2, shuffle: false });
    expect(batches.map((b) => b.indices)).toEqual([[0, 1], [2, 3], [4]]);
    expect(batches[2].shape).toEqual([1, 3, 2, 2]);
    expect(batches[0].shape).toEqual([2, 3, 2, 2]);
    expect([...batches[1].labels]).toEqual([0, 1]);
    expect(Math.floor(batches[1].images[0])).toBe(2);
    expect(Math.floor(batches[1].images[12])).toBe(3);
  });

  it('gives each example an rng fixed by (seed, epoch, index), whatever the batching', async () => {
    const valueOf = (bs: Batch[]) => {
      const m = new Map<number, number>();
      for (const b of bs) b.indices.forEach((idx, k) => m.set(idx, b.images[k * 12]));
      return m;
    };
    const a = valueOf(await collect({ batchSize: 2, seed: 9, epoch: 1 }));
    const b = valueOf(await collect({ batchSize: 5, seed: 9, epoch: 1, shuffle: false }));
    const c = valueOf(await collect({ batchSize: 5, seed: 9, epoch: 2 }));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
  });
});
