// Image container detection by magic bytes (file names are not trusted): the formats the studio accepts, and the
// size an image's header declares, checked against a pixel limit before any decoder allocates.
import { FileFormatError } from '../io/file-error.ts';

export type ImageFormat = 'jpeg' | 'png' | 'webp' | 'gif' | 'bmp';

export const SUPPORTED_FORMATS_TEXT = 'JPEG, PNG, WebP, BMP or GIF';

/** The format of an encoded image from its first 12+ bytes, or undefined when it is none of ours. */
export function sniffImageFormat(b: Uint8Array): ImageFormat | undefined {
  const at = (i: number, s: string) => [...s].every((ch, k) => b[i + k] === ch.charCodeAt(0));
  if (b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff) return 'jpeg';
  if (b.length >= 8 && b[0] === 0x89 && at(1, 'PNG\r\n\x1a\n')) return 'png';
  if (b.length >= 12 && at(0, 'RIFF') && at(8, 'WEBP')) return 'webp';
  if (b.length >= 6 && (at(0, 'GIF87a') || at(0, 'GIF89a'))) return 'gif';
  if (b.length >= 26 && at(0, 'BM')) return 'bmp';
  return undefined;
}

/** The most pixels an image may declare: checked from its header before any decoder allocates (sharp's
 * limitInputPixels is set to the same). A 100-megapixel photo decodes; a 100000×100000 header does not. */
export const MAX_IMAGE_PIXELS = 100_000_000;

/** Width and height as an image's header declares them, read from its first bytes without decoding (JPEG: the
 * first start-of-frame marker), or undefined when the header does not say (then the decoder decides). */
export function imageSize(b: Uint8Array, format: ImageFormat): { width: number; height: number } | undefined {
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const has = (n: number) => b.length >= n;
  switch (format) {
    case 'png': return has(24) ? { width: v.getUint32(16), height: v.getUint32(20) } : undefined;
    case 'gif': return has(10) ? { width: v.getUint16(6, true), height: v.getUint16(8, true) } : undefined;
    case 'bmp': {
      if (!has(26)) return undefined;
      if (v.getUint32(14, true) === 12) return { width: v.getUint16(18, true), height: Math.abs(v.getInt16(20, true)) };
      return has(26) ? { width: Math.abs(v.getInt32(18, true)), height: Math.abs(v.getInt32(22, true)) } : undefined;
    }
    case 'webp': return webpSize(b, v);
    case 'jpeg': return jpegSize(b, v);
  }
}

function webpSize(b: Uint8Array, v: DataView): { width: number; height: number } | undefined {
  if (b.length < 30) return undefined;
  const chunk = String.fromCharCode(b[12], b[13], b[14], b[15]);
  if (chunk === 'VP8X') return { width: 1 + (v.getUint32(24, true) & 0xffffff), height: 1 + (v.getUint32(26, true) >>> 8) };
  if (chunk === 'VP8L') { const bits = v.getUint32(21, true); return { width: 1 + (bits & 0x3fff), height: 1 + ((bits >>> 14) & 0x3fff) }; }
  if (chunk === 'VP8 ') return { width: v.getUint16(26, true) & 0x3fff, height: v.getUint16(28, true) & 0x3fff };
  return undefined;
}

/** The frame size of the first SOF marker (baseline, progressive, lossless, arithmetic: C0–CF but C4, C8, CC). */
function jpegSize(b: Uint8Array, v: DataView): { width: number; height: number } | undefined {
  let i = 2;
  while (i + 9 <= b.length) {
    if (b[i] !== 0xff) return undefined;
    const marker = b[i + 1];
    if (marker === 0xff) { i++; continue; }
    if (marker === 0xd8 || (marker >= 0xd0 && marker <= 0xd7) || marker === 0x01) { i += 2; continue; }
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) return { width: v.getUint16(i + 7), height: v.getUint16(i + 5) };
    if (marker === 0xd9 || marker === 0xda) return undefined;
    i += 2 + v.getUint16(i + 2);
  }
  return undefined;
}

/** Throws a one-line error when an image's header declares more than MAX_IMAGE_PIXELS (or a zero side). */
export function checkImageSize(b: Uint8Array, format: ImageFormat): void {
  const s = imageSize(b, format);
  if (!s) return;
  const name = format.toUpperCase();
  if (s.width === 0 || s.height === 0) throw new FileFormatError(`${name}: the header declares a ${s.width}×${s.height} image`);
  if (s.width * s.height > MAX_IMAGE_PIXELS) throw new FileFormatError(`${name}: ${s.width}×${s.height} pixels is over the ${MAX_IMAGE_PIXELS / 1e6} megapixel limit`);
}
