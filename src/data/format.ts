// Image container detection by magic bytes (file names are not trusted): the formats the studio accepts.

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
