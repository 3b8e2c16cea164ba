// Node data for the CLI: an image folder (or --data + --val folders) turned into the trainer's ImageSources,
// with the seeded stratified split when no validation set is given, and the LoR-VP augmentation.
import { augmentLorVp } from '../data/augment.ts';
import { ImageLoader } from '../data/decode-node.ts';
import { loadImageFolder, type ImageFolder } from '../data/folder-node.ts';
import { stratifiedSplit } from '../data/split.ts';
import type { Rng } from '../data/rng.ts';
import type { ImageSource } from '../engine/trainer.ts';

export function folderSource(folder: ImageFolder, indices: number[], L: number, loader: ImageLoader): ImageSource {
  const items = indices.map((i) => folder.items[i]);
  return {
    size: items.length,
    labels: Int32Array.from(items, (it) => it.label),
    async load(idx: number[], augment: boolean, rng: Rng, out: Float32Array) {
      const per = 3 * L * L;
      // decode in parallel, augment in order (the rng stream must not depend on decode timing)
      const imgs = await Promise.all(idx.map((i) => (augment ? loader.loadForAugment(items[i].path, L) : loader.load(items[i].path, L))));
      imgs.forEach((img, j) => out.set((augment ? augmentLorVp(img, L, rng) : img).data, j * per));
    },
  };
}

export interface CliData { classes: string[]; train: ImageSource; val: ImageSource | undefined; skipped: { path: string; reason: string }[]; warnings: string[]; trainCount: number; valCount: number }

export async function loadCliData(dataDir: string, valDir: string | undefined, L: number, valFraction: number, seed: number, onProgress?: (done: number, total: number) => void): Promise<CliData> {
  const loader = new ImageLoader();
  const main = await loadImageFolder(dataDir, { loader, size: L, onProgress });
  if (valDir) {
    const val = await loadImageFolder(valDir, { loader, size: L });
    if (val.classes.join('\u0000') !== main.classes.join('\u0000')) throw new Error(`--val ${valDir} has classes [${val.classes.join(', ')}] but --data has [${main.classes.join(', ')}]`);
    const all = main.items.map((_, i) => i);
    return { classes: main.classes, train: folderSource(main, all, L, loader), val: folderSource(val, val.items.map((_, i) => i), L, loader), skipped: [...main.skipped, ...val.skipped], warnings: [...main.warnings, ...val.warnings], trainCount: all.length, valCount: val.items.length };
  }
  if (main.train && (main.val || main.test)) {
    const v = main.val ?? main.test!;
    return { classes: main.classes, train: folderSource(main, main.train, L, loader), val: folderSource(main, v, L, loader), skipped: main.skipped, warnings: main.warnings, trainCount: main.train.length, valCount: v.length };
  }
  const split = stratifiedSplit(main.items.map((it) => it.label), valFraction, seed);
  return { classes: main.classes, train: folderSource(main, split.train, L, loader), val: split.val.length ? folderSource(main, split.val, L, loader) : undefined, skipped: main.skipped, warnings: main.warnings, trainCount: split.train.length, valCount: split.val.length };
}
