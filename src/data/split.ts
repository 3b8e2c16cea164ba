// Seeded stratified train/validation split of a labelled dataset, returning index lists.
import { Rng, seedFor } from './rng.ts';

export interface Split {
  /** Indices into the dataset, ascending. */
  train: number[];
  /** Indices into the dataset, ascending. */
  val: number[];
}

/**
 * Per class, round(n * valFraction) images go to validation, clamped so that every class with >= 2 images
 * gives at least 1 to validation and keeps at least 1 for training (a class with a single image stays in train).
 * valFraction = 0 gives an empty validation set. Which images are chosen depends only on (labels, seed):
 * classes are visited in ascending label order, each shuffling its indices with one shared seeded stream.
 */
/** How many of a class's n images the split holds out for validation. */
export const valCount = (n: number, valFraction: number): number => (valFraction === 0 || n < 2 ? 0 : Math.min(n - 1, Math.max(1, Math.round(n * valFraction))));

export function stratifiedSplit(labels: ArrayLike<number>, valFraction: number, seed: number | string): Split {
  if (!(valFraction >= 0 && valFraction < 1)) throw new Error(`validation fraction must be in [0, 1), got ${valFraction}`);
  const byClass = new Map<number, number[]>();
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    let list = byClass.get(l);
    if (list === undefined) byClass.set(l, (list = []));
    list.push(i);
  }
  const rng = new Rng(seedFor(seed, 'split'));
  const train: number[] = [];
  const val: number[] = [];
  for (const label of [...byClass.keys()].sort((a, b) => a - b)) {
    const idx = rng.shuffle(byClass.get(label)!);
    const n = idx.length;
    const nVal = valCount(n, valFraction);
    val.push(...idx.slice(0, nVal));
    train.push(...idx.slice(nVal));
  }
  return { train: train.sort((a, b) => a - b), val: val.sort((a, b) => a - b) };
}
