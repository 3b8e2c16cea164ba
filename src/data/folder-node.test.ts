// Tests for folder-node.ts on real temporary folders: formats, order, labels, skipped files, empty classes,
// train/val layouts, errors, cache warm-up, and an end-to-end split + augmented batches run.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { augmentLorVp } from './augment.ts';
import { iterateBatches } from './batch.ts';
import type { Batch } from './batch.ts';
import { ImageLoader } from './decode-node.ts';
import { compareCodePoints, loadImageFolder } from './folder-node.ts';
import { stratifiedSplit } from './split.ts';
import { encodeBmp, encodePng } from './test-images-node.ts';

const RED = { r: 255, g: 0, b: 0 };
const BLUE = { r: 0, g: 0, b: 255 };
const image = (format: 'png' | 'jpeg' | 'webp' | 'gif', bg = RED, size = 24) =>
  sharp({ create: { width: size, height: size, channels: 3, background: bg } }).toFormat(format).toBuffer();

const tmp: string[] = [];
function tree(files: Record<string, Uint8Array | string | null>): string {
  const root = mkdtempSync(join(tmpdir(), 'vp-folder-'));
  tmp.push(root);
  for (const [rel, content] of Object.entries(files)) {
    const path = join(root, rel);
    if (content === null) mkdirSync(path, { recursive: true });
    else {
      mkdirSync(join(path, '..'), { recursive: true });
      writeFileSync(path, content);
    }
  }
  return root;
}
afterAll(() => tmp.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('loadImageFolder, flat layout', () => {
  let root: string;
  beforeAll(async () => {
    const png = await image('png');
    const jpg = await image('jpeg');
    root = tree({
      'README.md': 'about this dataset',
      'cats/a.png': png,
      'cats/b.jpg': jpg,
      'cats/c.webp': await image('webp'),
      'cats/d.gif': await image('gif'),
      'cats/e.bmp': encodeBmp({ width: 2, height: 2, bpp: 24, rows: [[0, 0, 255, 0, 0, 255], [0, 0, 255, 0, 0, 255]] }),
      'cats/nested/f.png': png,
      'cats/notes.txt': 'not an image',
      'cats/z-corrupt.jpg': jpg.subarray(0, jpg.length - 10), // truncated
      'cats/.DS_Store': 'mac metadata',
      'dogs/1.png': await image('png', BLUE),
      'dogs/2.png': encodePng(1, 1, 2, 16, [0, 0, 65535]),
      'empty': null,
      'onlytext/readme.txt': 'nothing here',
      '.hidden/x.png': png,
    });
  });

  it('finds sorted classes, ordered items with labels, and reports skips and warnings', async () => {
    const ds = await loadImageFolder(root);
    expect(ds.classes).toEqual(['cats', 'dogs']);
    const rel = ds.items.map((it) => [it.path.slice(root.length + 1), it.label]);
    expect(rel).toEqual([
      ['cats/a.png', 0], ['cats/b.jpg', 0], ['cats/c.webp', 0], ['cats/d.gif', 0], ['cats/e.bmp', 0],
      ['cats/nested/f.png', 0], ['dogs/1.png', 1], ['dogs/2.png', 1],
    ]);
    expect(ds.train).toBeUndefined();
    expect(ds.val).toBeUndefined();
    const skipped = Object.fromEntries(ds.skipped.map((s) => [s.path.slice(root.length + 1), s.reason]));
    expect(Object.keys(skipped)).toEqual(['README.md', 'cats/notes.txt', 'cats/z-corrupt.jpg', 'onlytext/readme.txt']);
    expect(skipped['README.md']).toBe('file outside any class folder');
    expect(skipped['cats/notes.txt']).toBe('not a JPEG, PNG, WebP, BMP or GIF image');
    // the part after the colon is libvips' own text, which varies ("premature end of JPEG file", "Unknown error")
    expect(skipped['cats/z-corrupt.jpg']).toMatch(/^JPEG decode failed: ./);
    expect(ds.warnings).toEqual([
      `class folder '${join(root, 'empty')}' has no usable images; class 'empty' dropped`,
      `class folder '${join(root, 'onlytext')}' has no usable images; class 'onlytext' dropped`,
    ]);
  });

  it('decodes every format to the right colour through ImageLoader, warming its cache', async () => {
    const loader = new ImageLoader();
    const progress: number[] = [];
    const ds = await loadImageFolder(root, { loader, size: 8, onProgress: (done, total) => progress.push(done / total) });
    expect(progress.length).toBe(11); // 8 images, notes.txt, the corrupt jpg, onlytext/readme.txt
    expect(progress.at(-1)).toBe(1);
    expect(loader.cachedBytes).toBe(8 * 3 * 8 * 8 * 4);
    for (const item of ds.items) {
      const img = await loader.load(item.path, 8);
      const n = 64;
      const mean = [0, 1, 2].map((c) => img.data.subarray(c * n, (c + 1) * n).reduce((s, v) => s + v, 0) / n);
      const want = item.label === 0 ? [1, 0, 0] : [0, 0, 1];
      for (let c = 0; c < 3; c++) expect(Math.abs(mean[c] - want[c]), `${item.path} channel ${c}`).toBeLessThan(0.03);
    }
    expect(loader.cachedBytes).toBe(8 * 3 * 8 * 8 * 4);
  });

  it('with validate: false only sniffs magic bytes', async () => {
    const ds = await loadImageFolder(root, { validate: false });
    expect(ds.items.some((it) => it.path.endsWith('z-corrupt.jpg'))).toBe(true);
    expect(ds.skipped.some((s) => s.path.endsWith('notes.txt'))).toBe(true);
  });
});

describe('loadImageFolder ordering', () => {
  it('sorts class and file names in code-point order, like Python', async () => {
    const png = await image('png', RED, 4);
    const names = ['ｚ.png', '😀.png', 'B.png', 'a.png', 'a b.png'];
    const root = tree(Object.fromEntries([...names.map((n) => [`k/${n}`, png]), ['😀/x.png', png], ['ｚ/y.png', png], ['A/z.png', png]]));
    const ds = await loadImageFolder(root);
    expect(ds.classes).toEqual(['A', 'k', 'ｚ', '😀']);
    expect(ds.items.filter((it) => it.label === 1).map((it) => it.path.slice(root.length + 3)))
      .toEqual(['B.png', 'a b.png', 'a.png', 'ｚ.png', '😀.png']);
    expect(['😀', 'ｚ'].sort(compareCodePoints)).toEqual(['ｚ', '😀']);
    expect(['😀', 'ｚ'].sort()).toEqual(['😀', 'ｚ']); // what JS's default sort would have done
  });

  it('follows symlinked class folders without looping', async () => {
    const png = await image('png', RED, 4);
    const root = tree({ 'a/1.png': png, 'store/2.png': png });
    symlinkSync(join(root, 'store'), join(root, 'b'));
    symlinkSync(join(root, 'a'), join(root, 'a', 'loop'));
    const ds = await loadImageFolder(root);
    expect(ds.classes).toEqual(['a', 'b', 'store']);
    expect(ds.items.map((it) => it.label)).toEqual([0, 1, 2]);
  });
});

describe('loadImageFolder, train/val layout', () => {
  it('uses train/ for classes and val/ and test/ as given splits', async () => {
    const png = await image('png', RED, 4);
    const root = tree({
      'train/x/1.png': png, 'train/x/2.png': png, 'train/y/1.png': png, 'train/empty': null,
      'val/y/1.png': png, 'val/x/1.png': png, 'val/z/1.png': png,
      'test/x/9.png': png,
      'other/q.png': png,
    });
    const ds = await loadImageFolder(root);
    expect(ds.classes).toEqual(['x', 'y']);
    expect(ds.items.map((it) => `${it.split}:${it.path.slice(root.length + 1)}:${it.label}`)).toEqual([
      'train:train/x/1.png:0', 'train:train/x/2.png:0', 'train:train/y/1.png:1',
      'val:val/x/1.png:0', 'val:val/y/1.png:1', 'test:test/x/9.png:0',
    ]);
    expect(ds.train).toEqual([0, 1, 2]);
    expect(ds.val).toEqual([3, 4]);
    expect(ds.test).toEqual([5]);
    expect(ds.skipped).toEqual([{ path: join(root, 'val/z/1.png'), reason: "class 'z' has no usable images in train/" }]);
    expect(ds.warnings).toEqual([
      `ignored folder '${join(root, 'other')}': the dataset uses train/, val/, test/ splits`,
      `class folder '${join(root, 'train/empty')}' has no usable images; class 'empty' dropped`,
      `class folder '${join(root, 'val/z')}' ignored: class 'z' is not in train/`,
    ]);
  });

  it('takes test/ as the validation split when there is no val/', async () => {
    const png = await image('png', RED, 4);
    const root = tree({ 'Train/a/1.png': png, 'Train/b/1.png': png, 'Test/a/1.png': png });
    const ds = await loadImageFolder(root);
    expect(ds.train).toEqual([0, 1]);
    expect(ds.val).toEqual([2]);
    expect(ds.test).toBeUndefined();
  });

  it('treats train/ and test/ holding images (not class folders) as two classes', async () => {
    const png = await image('png', RED, 4);
    const ds = await loadImageFolder(tree({ 'train/1.png': png, 'test/1.png': png }));
    expect(ds.classes).toEqual(['test', 'train']);
    expect(ds.train).toBeUndefined();
  });
});

describe('loadImageFolder errors', () => {
  it('names the folder when fewer than two classes are usable', async () => {
    const png = await image('png', RED, 4);
    const one = tree({ 'only/1.png': png, 'empty': null });
    await expect(loadImageFolder(one)).rejects.toThrow(`dataset folder '${one}' has only one usable class ('only'); at least 2 class subfolders with images are needed`);
    const none = tree({ 'a/readme.txt': 'x' });
    await expect(loadImageFolder(none)).rejects.toThrow(`dataset folder '${none}' has no class subfolders with usable images`);
    await expect(loadImageFolder(join(none, 'missing'))).rejects.toThrow(/does not exist or is not a folder/);
  });
});

describe('end to end: folder -> split -> augmented batches', () => {
  it('is reproducible for a seed', async () => {
    const files: Record<string, Uint8Array> = {};
    for (let i = 0; i < 6; i++) {
      files[`red/${i}.png`] = await image('png', { r: 255, g: 20 * i, b: 0 }, 20);
      files[`blue/${i}.jpg`] = await image('jpeg', { r: 0, g: 20 * i, b: 255 }, 20);
    }
    const root = tree(files);
    const run = async () => {
      const loader = new ImageLoader();
      const ds = await loadImageFolder(root, { loader, size: 18 }); // 18 = augmentResizeSize(16)
      const split = stratifiedSplit(ds.items.map((it) => it.label), 0.34, 5);
      const out: Batch[] = [];
      const source = {
        length: split.train.length,
        get: async (i: number, rng: import('./rng.ts').Rng) => {
          const item = ds.items[split.train[i]];
          return { image: augmentLorVp(await loader.load(item.path, 18), 16, rng), label: item.label };
        },
      };
      for (let epoch = 0; epoch < 2; epoch++) {
        for await (const b of iterateBatches(source, { batchSize: 3, seed: 5, epoch })) out.push(b);
      }
      return { split, out };
    };
    const a = await run();
    const b = await run();
    expect(a.split.val.length).toBe(4); // round(6 * 0.34) = 2 per class
    expect(a.out.map((x) => x.shape[0])).toEqual([3, 3, 2, 3, 3, 2]); // 8 train images per epoch
    expect(b).toEqual(a);
    expect(a.out[0].images).not.toEqual(a.out[3].images);
  });
});
