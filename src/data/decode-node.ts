// Node image decoding: encoded bytes (JPEG, PNG, WebP, GIF via sharp; BMP via bmp.ts) to a full-resolution
// RgbImage, and ImageLoader, which reads, decodes and resizes files to size x size with an in-memory cache.
import { readFile } from 'node:fs/promises';
import sharp from 'sharp';
import { augmentResizeSize, resizeSquare } from './augment.ts';
import { decodeBmp } from './bmp.ts';
import { checkImageSize, MAX_IMAGE_PIXELS, SUPPORTED_FORMATS_TEXT, sniffImageFormat } from './format.ts';
import { FileFormatError, firstLine } from '../io/file-error.ts';
import { toRgbFloat } from './image.ts';
import type { RgbImage } from './image.ts';

export interface DecodeOptions {
  /** Reduce any axis longer than this with sharp (linear kernel, antialiased) while decoding; BMP is never reduced.
   * Decoding a 12-megapixel photo at full size and resizing it in JS takes seconds, this takes ~50 ms. */
  maxSide?: number;
}

/**
 * Decode an image file's bytes (at full resolution unless opts.maxSide). EXIF orientation is applied (as browsers
 * do), animated GIF/WebP give their first frame, alpha is dropped, 16-bit PNGs keep 16-bit precision, CMYK and
 * ICC-tagged images are converted to sRGB. Throws a one-line FileFormatError for unsupported or corrupt data
 * (truncated files included) and for a header declaring more than MAX_IMAGE_PIXELS, before sharp allocates.
 */
export async function decodeImage(bytes: Uint8Array, opts: DecodeOptions = {}): Promise<RgbImage> {
  const format = sniffImageFormat(bytes);
  if (format === undefined) throw new FileFormatError(`not a ${SUPPORTED_FORMATS_TEXT} image`);
  checkImageSize(bytes, format);
  if (format === 'bmp') {
    const bmp = decodeBmp(bytes);
    return toRgbFloat(bmp.data, bmp.width, bmp.height, 3, 8);
  }
  try {
    const input = sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS });
    const meta = await input.metadata();
    const sixteen = meta.depth === 'ushort';
    let oriented = input.autoOrient();
    const w = meta.autoOrient?.width ?? meta.width ?? 0;
    const h = (meta.pages ?? 1) > 1 ? (meta.pageHeight ?? 0) : (meta.autoOrient?.height ?? meta.height ?? 0);
    const cap = opts.maxSide;
    if (cap !== undefined && w > 0 && h > 0 && (w > cap || h > cap)) {
      oriented = oriented.resize(Math.min(w, cap), Math.min(h, cap), { fit: 'fill', kernel: 'linear' });
    }
    const pipeline = sixteen
      ? oriented.toColourspace((meta.channels ?? 3) <= 2 ? 'grey16' : 'rgb16').raw({ depth: 'ushort' })
      : oriented.toColourspace('srgb').raw();
    const { data, info } = await pipeline.toBuffer({ resolveWithObject: true });
    if (sixteen) {
      const words = new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
      return toRgbFloat(words, info.width, info.height, info.channels, 16);
    }
    return toRgbFloat(new Uint8Array(data.buffer, data.byteOffset, data.byteLength), info.width, info.height, info.channels, 8);
  } catch (e) {
    throw new FileFormatError(`${format.toUpperCase()} decode failed: ${firstLine(e)}`);
  }
}

export { firstLine };

export interface ImageLoaderOptions {
  /** Cache budget in bytes for resized images (default 512 MiB; 0 disables). When full, new images are
   * decoded but not kept (no eviction: with random epoch order that gives the same hit rate, without churn). */
  cacheBytes?: number;
  /** Resize with antialiasing (default true: torchvision's PIL Resize antialiases too). */
  antialias?: boolean;
  /** Let sharp first reduce axes longer than preshrink x size while decoding (default 4; Infinity turns it off
   * and resizes from full resolution in JS only). A big speed-up for photos; values change by well under 1%. */
  preshrink?: number;
}

/** Loads image files as size x size RgbImages, caching by (path, size). Concurrent loads of one key share work. */
export class ImageLoader {
  private readonly cache = new Map<string, Promise<RgbImage>>();
  private readonly budget: number;
  private readonly antialias: boolean;
  private readonly preshrink: number;
  private used = 0;

  constructor(opts: ImageLoaderOptions = {}) {
    this.budget = opts.cacheBytes ?? 512 * 2 ** 20;
    this.antialias = opts.antialias ?? true;
    this.preshrink = opts.preshrink ?? 4;
  }

  /** The image at `path` resized to size x size (aspect ratio not kept). `bytes`, if given, saves a file read. */
  load(path: string, size: number, bytes?: Uint8Array): Promise<RgbImage> {
    const key = `${size}\u0000${path}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const job = (async () => {
      const maxSide = Number.isFinite(this.preshrink) ? Math.ceil(this.preshrink * size) : undefined;
      const image = await decodeImage(bytes ?? new Uint8Array(await readFile(path)), { maxSide });
      return resizeSquare(image, size, { antialias: this.antialias });
    })();
    if (this.budget <= 0) return job;
    this.cache.set(key, job);
    job.then(
      (img) => {
        if (this.used + img.data.byteLength <= this.budget) this.used += img.data.byteLength;
        else this.cache.delete(key);
      },
      () => this.cache.delete(key),
    );
    return job;
  }

  /** Convenience for the LoR-VP train transform: the image at augmentResizeSize(size), ready for augmentLorVp. */
  loadForAugment(path: string, size: number): Promise<RgbImage> {
    return this.load(path, augmentResizeSize(size));
  }

  /** Bytes of image data held by the cache. */
  get cachedBytes(): number {
    return this.used;
  }

  clear(): void {
    this.cache.clear();
    this.used = 0;
  }
}
