// Windows BMP decoder (sharp/libvips has no BMP loader): uncompressed 1/4/8-bit palette, 16/24/32-bit,
// BI_BITFIELDS masks, core/info/V4/V5 headers, bottom-up or top-down rows. RLE and embedded JPEG/PNG are refused.
// The declared size is checked against the pixel limit and the file's bytes before anything is allocated.
import { FileFormatError } from '../io/file-error.ts';

/** Decoded pixels: interleaved RGB bytes, top row first. Alpha, if any, is dropped. */
export interface BmpImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** BMP is decoded at full size in JavaScript (no shrink-on-load): 32 megapixels are 100 MiB of RGB bytes and
 * 400 MiB as float32, the most one image may take. */
export const MAX_BMP_PIXELS = 2 ** 25;

/** Decode a BMP file; throws a one-line `BMP: ...` FileFormatError when it is malformed or uses an unsupported variant. */
export function decodeBmp(bytes: Uint8Array): BmpImage {
  if (bytes.length < 26 || bytes[0] !== 0x42 || bytes[1] !== 0x4d) throw new FileFormatError('BMP: not a BMP file');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const dataOffset = v.getUint32(10, true);
  const dib = v.getUint32(14, true);
  let width: number;
  let rawHeight: number;
  let bpp: number;
  let compression = 0;
  let colorsUsed = 0;
  if (dib === 12) {
    width = v.getUint16(18, true);
    rawHeight = v.getInt16(20, true);
    bpp = v.getUint16(24, true);
  } else if (dib >= 40 && bytes.length >= 54) {
    width = v.getInt32(18, true);
    rawHeight = v.getInt32(22, true);
    bpp = v.getUint16(28, true);
    compression = v.getUint32(30, true);
    colorsUsed = v.getUint32(46, true);
  } else {
    throw new FileFormatError(`BMP: unsupported or truncated header (size ${dib})`);
  }
  const topDown = rawHeight < 0;
  const height = Math.abs(rawHeight);
  if (width < 1 || height < 1) throw new FileFormatError(`BMP: bad dimensions ${width}x${height}`);
  if (width * height > MAX_BMP_PIXELS) throw new FileFormatError(`BMP: ${width}x${height} is over the ${MAX_BMP_PIXELS / 2 ** 20} megapixel limit of BMP images`);
  if (compression === 1 || compression === 2) throw new FileFormatError('BMP: RLE-compressed BMP is not supported');
  if (compression === 4 || compression === 5) throw new FileFormatError('BMP: BMP with embedded JPEG/PNG is not supported');
  const bitfields = compression === 3 || compression === 6;
  if (compression !== 0 && !bitfields) throw new FileFormatError(`BMP: unknown compression ${compression}`);
  if (![1, 4, 8, 16, 24, 32].includes(bpp) || (bitfields && bpp !== 16 && bpp !== 32)) {
    throw new FileFormatError(`BMP: unsupported bit depth ${bpp}${bitfields ? ' with bitfields' : ''}`);
  }

  // Masks for 16/32-bit pixels: at offset 54 both inside V2+ headers and right after a 40-byte header.
  let masks = bpp === 16 ? [0x7c00, 0x03e0, 0x001f] : [0xff0000, 0x00ff00, 0x0000ff];
  if (bitfields) {
    if (bytes.length < 66) throw new FileFormatError('BMP: truncated bitfield masks');
    masks = [v.getUint32(54, true), v.getUint32(58, true), v.getUint32(62, true)];
  }

  const stride = Math.floor((bpp * width + 31) / 32) * 4;
  if (dataOffset + stride * (height - 1) + Math.ceil((bpp * width) / 8) > bytes.length) {
    throw new FileFormatError(`BMP: truncated pixel data (${width}x${height} at ${bpp} bits needs ${stride * height} bytes)`);
  }
  const out = new Uint8Array(width * height * 3);
  const palette = bpp <= 8 ? readPalette(bytes, dib, compression, colorsUsed, bpp, dataOffset) : undefined;
  const chans = masks.map(maskInfo);
  for (let y = 0; y < height; y++) {
    const row = dataOffset + (topDown ? y : height - 1 - y) * stride;
    let o = y * width * 3;
    for (let x = 0; x < width; x++, o += 3) {
      if (palette) {
        const bit = x * bpp;
        const byte = bytes[row + (bit >>> 3)];
        const index = (byte >>> (8 - bpp - (bit & 7))) & ((1 << bpp) - 1);
        const p = index * 3 < palette.length ? index * 3 : -1;
        out[o] = p < 0 ? 0 : palette[p];
        out[o + 1] = p < 0 ? 0 : palette[p + 1];
        out[o + 2] = p < 0 ? 0 : palette[p + 2];
      } else if (bpp === 24) {
        const p = row + x * 3;
        out[o] = bytes[p + 2];
        out[o + 1] = bytes[p + 1];
        out[o + 2] = bytes[p];
      } else {
        const px = bpp === 16 ? v.getUint16(row + x * 2, true) : v.getUint32(row + x * 4, true);
        for (let c = 0; c < 3; c++) out[o + c] = chans[c](px);
      }
    }
  }
  return { width, height, data: out };
}

/** The colour table as RGB triples (entries are BGR for core headers, BGRX otherwise). */
function readPalette(bytes: Uint8Array, dib: number, compression: number, used: number, bpp: number, end: number): Uint8Array {
  const entry = dib === 12 ? 3 : 4;
  const start = 14 + dib + (dib === 40 && compression === 3 ? 12 : dib === 40 && compression === 6 ? 16 : 0);
  const count = Math.min(used || 1 << bpp, 1 << bpp, Math.floor((Math.min(end, bytes.length) - start) / entry));
  if (count < 1) throw new FileFormatError('BMP: missing colour palette');
  const rgb = new Uint8Array(count * 3);
  for (let i = 0; i < count; i++) {
    const p = start + i * entry;
    rgb[i * 3] = bytes[p + 2];
    rgb[i * 3 + 1] = bytes[p + 1];
    rgb[i * 3 + 2] = bytes[p];
  }
  return rgb;
}

/** A function extracting one masked channel of a packed pixel, scaled to 0..255. */
function maskInfo(mask: number): (px: number) => number {
  mask >>>= 0;
  if (mask === 0) return () => 0;
  let shift = 0;
  while (((mask >>> shift) & 1) === 0) shift++;
  const max = mask >>> shift;
  return (px) => Math.round((((px & mask) >>> 0) >>> shift) * 255 / max);
}
