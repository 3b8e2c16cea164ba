// Test-only encoders written from the format specs (independent of sharp): 8/16-bit PNG and BMP files.
import { crc32, deflateSync } from 'node:zlib';

/** A PNG from interleaved samples (HWC); colorType 0 grey, 2 RGB, 4 grey+alpha, 6 RGBA; 16-bit samples stored big-endian. */
export function encodePng(width: number, height: number, colorType: 0 | 2 | 4 | 6, bitDepth: 8 | 16, samples: ArrayLike<number>): Uint8Array {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType];
  const bps = bitDepth / 8;
  const rowLen = 1 + width * channels * bps;
  const raw = Buffer.alloc(rowLen * height);
  for (let y = 0; y < height; y++) {
    raw[y * rowLen] = 0; // filter: none
    for (let i = 0; i < width * channels; i++) {
      const v = samples[y * width * channels + i];
      const at = y * rowLen + 1 + i * bps;
      if (bitDepth === 16) raw.writeUInt16BE(v, at);
      else raw[at] = v;
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([bitDepth, colorType, 0, 0, 0], 8);
  const chunk = (type: string, data: Uint8Array) => {
    const head = Buffer.alloc(8);
    head.writeUInt32BE(data.length, 0);
    head.write(type, 4, 'latin1');
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
    return Buffer.concat([head, data, crc]);
  };
  const sig = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return new Uint8Array(Buffer.concat([sig, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', new Uint8Array(0))]));
}

export interface BmpSpec {
  width: number;
  height: number;
  bpp: 1 | 4 | 8 | 16 | 24 | 32;
  /** Row bytes without padding, top row first (the encoder pads rows and orders them). */
  rows: number[][];
  topDown?: boolean;
  /** BGRX entries for palette images. */
  palette?: Array<[number, number, number]>;
  /** BI_BITFIELDS masks (R, G, B) for 16/32-bit. */
  masks?: [number, number, number];
  compression?: number;
}

/** A BMP with a BITMAPINFOHEADER (40 bytes), optional masks, optional palette, rows padded to 4 bytes. */
export function encodeBmp(s: BmpSpec): Uint8Array {
  const stride = Math.floor((s.bpp * s.width + 31) / 32) * 4;
  const masks = s.masks ? 12 : 0;
  const pal = (s.palette?.length ?? 0) * 4;
  const offset = 14 + 40 + masks + pal;
  const b = Buffer.alloc(offset + stride * s.height);
  b.write('BM', 0, 'latin1');
  b.writeUInt32LE(b.length, 2);
  b.writeUInt32LE(offset, 10);
  b.writeUInt32LE(40, 14);
  b.writeInt32LE(s.width, 18);
  b.writeInt32LE(s.topDown ? -s.height : s.height, 22);
  b.writeUInt16LE(1, 26);
  b.writeUInt16LE(s.bpp, 28);
  b.writeUInt32LE(s.compression ?? (s.masks ? 3 : 0), 30);
  b.writeUInt32LE(s.palette?.length ?? 0, 46);
  if (s.masks) s.masks.forEach((m, i) => b.writeUInt32LE(m, 54 + 4 * i));
  s.palette?.forEach(([r, g, bl], i) => b.set([bl, g, r, 0], 54 + masks + 4 * i));
  s.rows.forEach((row, y) => b.set(row, offset + (s.topDown ? y : s.height - 1 - y) * stride));
  return new Uint8Array(b);
}
