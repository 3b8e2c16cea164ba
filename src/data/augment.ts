// LoR-VP's image transforms (jincan333/LoR-VP utils/model_and_data.py, transform_type 'vp' with randomcrop):
// train = Resize((int(L*9/8),)*2) -> RandomCrop(L) -> RandomHorizontalFlip(0.5); eval = Resize((L, L)). The batch path
// (augmentLorVpInto) crops and flips straight into the batch buffer: the same values, no per-image allocations.
import { crop, hflip } from './image.ts';
import type { RgbImage } from './image.ts';
import { resizeBilinear } from './resize.ts';
import type { ResizeOptions } from './resize.ts';
import type { Rng } from './rng.ts';

/** Side of the square the train transform resizes to before cropping: int(L * 9 / 8) as in the reference
 * (truncation; equal to round() whenever L is a multiple of 8, e.g. 224 -> 252, 384 -> 432). */
export function augmentResizeSize(size: number): number {
  if (!Number.isInteger(size) || size < 1) throw new Error(`image size must be a positive integer, got ${size}`);
  return Math.floor((size * 9) / 8);
}

/** Resize to size x size (aspect ratio not kept, as Resize((L, L))); no work when the image already has that size.
 * Resizing uses antialias=true unless opts says otherwise (torchvision's PIL Resize also antialiases). */
export function resizeSquare(img: RgbImage, size: number, opts: ResizeOptions = { antialias: true }): RgbImage {
  if (img.width === size && img.height === size) return img;
  return resizeBilinear(img, size, size, opts);
}

/** The no-augmentation (eval) transform: a plain resize to size x size. */
export function evalTransform(img: RgbImage, size: number, opts?: ResizeOptions): RgbImage {
  return resizeSquare(img, size, opts);
}

/**
 * The LoR-VP train augmentation to a size x size output. Draws from `rng` in torchvision's order:
 * top = int(S - L + 1), left = int(S - L + 1), then flip when next() < 0.5. Pass an image already resized to
 * augmentResizeSize(size) (e.g. from a cache) and only the crop and flip run.
 */
export function augmentLorVp(img: RgbImage, size: number, rng: Rng, opts?: ResizeOptions): RgbImage {
  const s = augmentResizeSize(size);
  const base = resizeSquare(img, s, opts);
  const top = rng.int(s - size + 1);
  const left = rng.int(s - size + 1);
  const cropped = crop(base, left, top, size, size);
  return rng.next() < 0.5 ? hflip(cropped) : cropped;
}

/**
 * augmentLorVp of an image already at augmentResizeSize(size), written into `out` at `offset` (3 × size × size
 * values): the same draws in the same order and the same values as augmentLorVp, without allocating the crop or
 * the flip.
 */
export function augmentLorVpInto(img: RgbImage, size: number, rng: Rng, out: Float32Array, offset: number): void {
  const s = augmentResizeSize(size);
  if (img.width !== s || img.height !== s) throw new Error(`augmentLorVpInto: the image is ${img.width}x${img.height}, ${s}x${s} expected`);
  const top = rng.int(s - size + 1);
  const left = rng.int(s - size + 1);
  const flip = rng.next() < 0.5;
  const src = img.data, n = s * s;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < size; y++) {
      const from = c * n + (top + y) * s + left, to = offset + (c * size + y) * size;
      if (!flip) out.set(src.subarray(from, from + size), to);
      else for (let x = 0; x < size; x++) out[to + x] = src[from + size - 1 - x];
    }
  }
}
