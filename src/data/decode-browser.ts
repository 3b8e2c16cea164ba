// Browser image decoding (worker or page): a Blob to a full-resolution RgbImage with createImageBitmap +
// OffscreenCanvas (EXIF orientation applied, alpha dropped), BMP through our own decoder as in the CLI; and
// small PNG thumbnails. Photos much larger than needed are pre-shrunk while decoding, like the CLI's sharp path;
// a header declaring more than MAX_IMAGE_PIXELS is refused before the browser decodes anything.
import { decodeBmp } from './bmp.ts';
import { checkImageSize, SUPPORTED_FORMATS_TEXT, sniffImageFormat } from './format.ts';
import { FileFormatError, firstLine } from '../io/file-error.ts';
import { toRgba8, toRgbFloat, type RgbImage } from './image.ts';
import { resizeBilinear } from './resize.ts';

export interface ImageCodec {
  /** Decodes an encoded image; axes longer than maxSide may be reduced while decoding. Throws a one-line reason. */
  decode(blob: Blob, maxSide?: number): Promise<RgbImage>;
  /** A small PNG of an image (for thumbnails). */
  thumbnail(img: RgbImage, size: number): Promise<Blob>;
}

let shared: OffscreenCanvasRenderingContext2D | undefined;
/** One reused 2D context (decoding is sequential within a task: draw and read back without awaiting between). */
function canvas2d(w: number, h: number): OffscreenCanvasRenderingContext2D {
  shared ??= new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true }) ?? undefined;
  if (!shared) throw new Error('no 2D canvas context in this browser');
  const c = shared.canvas;
  if (c.width !== w || c.height !== h) { c.width = w; c.height = h; } else shared.clearRect(0, 0, w, h);
  return shared;
}

export const browserCodec: ImageCodec = {
  async decode(blob, maxSide) {
    // the whole file (it is decoded next anyway): a JPEG's frame size may sit after its EXIF block
    const bytes = new Uint8Array(await blob.arrayBuffer());
    const format = sniffImageFormat(bytes);
    if (format === undefined) throw new FileFormatError(`not a ${SUPPORTED_FORMATS_TEXT} image`);
    checkImageSize(bytes, format);
    if (format === 'bmp') {
      const bmp = decodeBmp(bytes);
      return toRgbFloat(bmp.data, bmp.width, bmp.height, 3, 8);
    }
    let bitmap: ImageBitmap;
    try {
      bitmap = await createImageBitmap(blob, { premultiplyAlpha: 'none', imageOrientation: 'from-image' });
      if (maxSide !== undefined && (bitmap.width > maxSide || bitmap.height > maxSide)) {
        const w = Math.min(bitmap.width, maxSide), h = Math.min(bitmap.height, maxSide);
        const full = bitmap;
        bitmap = await createImageBitmap(full, { resizeWidth: w, resizeHeight: h, resizeQuality: 'high', premultiplyAlpha: 'none' });
        full.close();
      }
    } catch (e) {
      throw new FileFormatError(`${format.toUpperCase()} decode failed: ${firstLine(e)}`);
    }
    const { width, height } = bitmap;
    const ctx = canvas2d(width, height);
    ctx.drawImage(bitmap, 0, 0);
    bitmap.close();
    const px = ctx.getImageData(0, 0, width, height).data;
    return toRgbFloat(px, width, height, 4, 8);
  },

  async thumbnail(img, size) {
    const small = img.width === size && img.height === size ? img : resizeBilinear(img, size, size, { antialias: true });
    const canvas = new OffscreenCanvas(size, size);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas context in this browser');
    ctx.putImageData(new ImageData(new Uint8ClampedArray(toRgba8(small)), size, size), 0, 0);
    return canvas.convertToBlob({ type: 'image/png' });
  },
};
