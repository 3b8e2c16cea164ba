// Bilinear resize of planar (CHW) float images with half-pixel centres, matching
// torch.nn.functional.interpolate(mode='bilinear', align_corners=False) with antialias False or True.
import type { RgbImage } from './image.ts';

export interface ResizeOptions {
  /** false (default): plain 2-tap bilinear, like interpolate(..., antialias=False).
   * true: when shrinking, a triangle filter widened by the scale factor (PIL's / torch's antialias=True);
   * identical to plain bilinear when enlarging. Use true to shrink photos without aliasing. */
  antialias?: boolean;
}

/** Per output index along one axis: the first input index, the tap count, and `taps` weights per output. */
interface AxisWeights {
  start: Int32Array;
  count: Int32Array;
  taps: number;
  weights: Float64Array;
}

/** torch's upsample_bilinear2d (align_corners=False) source positions: src = (dst + 0.5) * in / out - 0.5, clamped at 0. */
function plainWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const w: AxisWeights = { start: new Int32Array(outSize), count: new Int32Array(outSize), taps: 2, weights: new Float64Array(2 * outSize) };
  for (let i = 0; i < outSize; i++) {
    const src = Math.max((i + 0.5) * scale - 0.5, 0);
    const i0 = Math.floor(src);
    const l1 = src - i0;
    w.start[i] = i0;
    if (i0 < inSize - 1) {
      w.count[i] = 2;
      w.weights[2 * i] = 1 - l1;
      w.weights[2 * i + 1] = l1;
    } else {
      w.count[i] = 1; // at the last pixel both taps land on it
      w.weights[2 * i] = 1;
    }
  }
  return w;
}

/** torch's _upsample_bilinear2d_aa weights (from PIL): a triangle of half-width max(scale, 1) around
 * centre = (dst + 0.5) * scale, taps clipped to the image and renormalised. */
function antialiasWeights(inSize: number, outSize: number): AxisWeights {
  const scale = inSize / outSize;
  const support = scale >= 1 ? scale : 1;
  const invScale = scale >= 1 ? 1 / scale : 1;
  const taps = Math.ceil(support) * 2 + 1;
  const w: AxisWeights = { start: new Int32Array(outSize), count: new Int32Array(outSize), taps, weights: new Float64Array(taps * outSize) };
  for (let i = 0; i < outSize; i++) {
    const center = scale * (i + 0.5);
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xsize = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let total = 0;
    for (let j = 0; j < xsize; j++) {
      const x = Math.abs((j + xmin - center + 0.5) * invScale);
      const v = x < 1 ? 1 - x : 0;
      w.weights[i * taps + j] = v;
      total += v;
    }
    if (total !== 0) for (let j = 0; j < xsize; j++) w.weights[i * taps + j] /= total;
    w.start[i] = xmin;
    w.count[i] = xsize;
  }
  return w;
}

/** Resize `channels` planes of inH x inW floats to outH x outW (separable: rows first, then columns). */
export function resizePlanes(
  data: Float32Array,
  channels: number,
  inH: number,
  inW: number,
  outH: number,
  outW: number,
  opts: ResizeOptions = {},
): Float32Array {
  for (const [name, v] of [['width', outW], ['height', outH]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`resize: output ${name} must be a positive integer, got ${v}`);
  }
  if (data.length !== channels * inH * inW) throw new Error(`resize: data has ${data.length} values, expected ${channels}x${inH}x${inW}`);
  if (inH === outH && inW === outW) return data.slice();
  const weights = opts.antialias ? antialiasWeights : plainWeights;
  const wx = weights(inW, outW);
  const wy = weights(inH, outH);
  const tmp = new Float64Array(channels * inH * outW);
  for (let row = 0; row < channels * inH; row++) {
    const src = row * inW;
    const dst = row * outW;
    for (let x = 0; x < outW; x++) {
      const base = wx.start[x] + src;
      const wb = x * wx.taps;
      let acc = 0;
      for (let k = 0; k < wx.count[x]; k++) acc += wx.weights[wb + k] * data[base + k];
      tmp[dst + x] = acc;
    }
  }
  const out = new Float32Array(channels * outH * outW);
  const acc = new Float64Array(outW);
  for (let c = 0; c < channels; c++) {
    const plane = c * inH * outW;
    for (let y = 0; y < outH; y++) {
      acc.fill(0);
      const wb = y * wy.taps;
      for (let k = 0; k < wy.count[y]; k++) {
        const wk = wy.weights[wb + k];
        const src = plane + (wy.start[y] + k) * outW;
        for (let x = 0; x < outW; x++) acc[x] += wk * tmp[src + x];
      }
      out.set(acc, (c * outH + y) * outW);
    }
  }
  return out;
}

/** Bilinear resize of an RgbImage to outWidth x outHeight (a copy when the size is unchanged). */
export function resizeBilinear(img: RgbImage, outWidth: number, outHeight: number, opts: ResizeOptions = {}): RgbImage {
  const data = resizePlanes(img.data, 3, img.height, img.width, outHeight, outWidth, opts);
  return { width: outWidth, height: outHeight, data };
}
