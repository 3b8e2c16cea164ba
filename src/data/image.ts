// RgbImage, the pipeline's image type (CHW planar float32 in [0, 1]), conversion from decoded interleaved
// pixels (grey, grey+alpha, RGB, RGBA; 8 or 16 bit), and the small per-image ops: crop, flip, normalise, preview.

/** Three planes (R, then G, then B) of width*height float32 values in [0, 1], row-major, top row first. */
export interface RgbImage {
  width: number;
  height: number;
  data: Float32Array;
}

/** A black width x height image. */
export function createImage(width: number, height: number): RgbImage {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new Error(`image size must be positive integers, got ${width}x${height}`);
  }
  return { width, height, data: new Float32Array(3 * width * height) };
}

/**
 * Interleaved decoded pixels (HWC: `channels` samples per pixel, rows top to bottom) to an RgbImage.
 * channels: 1 grey, 2 grey+alpha, 3 RGB, 4 RGBA. bitDepth 8 takes Uint8Array/Uint8ClampedArray (value/255),
 * 16 takes Uint16Array (value/65535). Alpha is dropped, not composited: a transparent pixel keeps its stored
 * colour, as PIL's convert('RGB') does (so torchvision-trained models see the same input).
 */
export function toRgbFloat(
  raw: Uint8Array | Uint8ClampedArray | Uint16Array,
  width: number,
  height: number,
  channels: number,
  bitDepth: 8 | 16,
): RgbImage {
  if (channels < 1 || channels > 4 || !Number.isInteger(channels)) throw new Error(`unsupported channel count ${channels}`);
  if (bitDepth === 16 ? !(raw instanceof Uint16Array) : raw instanceof Uint16Array) {
    throw new Error(`bitDepth ${bitDepth} needs ${bitDepth === 16 ? 'a Uint16Array' : 'a Uint8Array'}`);
  }
  const img = createImage(width, height);
  const n = width * height;
  if (raw.length < n * channels) throw new Error(`pixel buffer has ${raw.length} samples, ${width}x${height}x${channels} needs ${n * channels}`);
  const scale = 1 / (bitDepth === 16 ? 65535 : 255);
  const out = img.data;
  if (channels <= 2) {
    for (let p = 0; p < n; p++) {
      const v = raw[p * channels] * scale;
      out[p] = v;
      out[n + p] = v;
      out[2 * n + p] = v;
    }
  } else {
    for (let p = 0; p < n; p++) {
      const q = p * channels;
      out[p] = raw[q] * scale;
      out[n + p] = raw[q + 1] * scale;
      out[2 * n + p] = raw[q + 2] * scale;
    }
  }
  return img;
}

/** The width x height window whose top-left corner is (left, top); it must lie inside the image. */
export function crop(img: RgbImage, left: number, top: number, width: number, height: number): RgbImage {
  if (left < 0 || top < 0 || left + width > img.width || top + height > img.height) {
    throw new Error(`crop ${width}x${height}+${left}+${top} does not fit in a ${img.width}x${img.height} image`);
  }
  const out = createImage(width, height);
  const n = img.width * img.height;
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < height; y++) {
      const src = c * n + (top + y) * img.width + left;
      out.data.set(img.data.subarray(src, src + width), (c * height + y) * width);
    }
  }
  return out;
}

/** Mirror left-right. */
export function hflip(img: RgbImage): RgbImage {
  const { width: w, height: h } = img;
  const out = createImage(w, h);
  for (let row = 0; row < 3 * h; row++) {
    const base = row * w;
    for (let x = 0; x < w; x++) out.data[base + x] = img.data[base + w - 1 - x];
  }
  return out;
}

/** (x - mean[c]) / std[c] per channel, as torchvision.transforms.Normalize. */
export function normalize(img: RgbImage, mean: readonly number[], std: readonly number[]): RgbImage {
  const out = createImage(img.width, img.height);
  const n = img.width * img.height;
  for (let c = 0; c < 3; c++) {
    const m = mean[c];
    const inv = 1 / std[c];
    for (let i = c * n; i < (c + 1) * n; i++) out.data[i] = (img.data[i] - m) * inv;
  }
  return out;
}

/** Interleaved RGBA bytes (values clamped to [0, 1], then rounded), e.g. for an ImageData preview. */
export function toRgba8(img: RgbImage): Uint8ClampedArray {
  const n = img.width * img.height;
  const out = new Uint8ClampedArray(4 * n);
  for (let p = 0; p < n; p++) {
    out[4 * p] = img.data[p] * 255;
    out[4 * p + 1] = img.data[n + p] * 255;
    out[4 * p + 2] = img.data[2 * n + p] * 255;
    out[4 * p + 3] = 255;
  }
  return out;
}
