// ONNX Resize (opset 11+) on the host: its output shape, and its evaluation on constant inputs. Exporters resize
// constants at run time — DINOv2 interpolates its stored position-embedding grid (37×37) to the input's patch grid
// with a bicubic Resize whose sizes come from Shape(pixel_values) — and once L is pinned everything is constant,
// so the Resize folds away. Separable, one axis at a time, in float64: modes
// nearest (nearest_mode), linear and cubic (cubic_coeff_a, exclude_outside); coordinate modes half_pixel,
// pytorch_half_pixel, align_corners, asymmetric (ONNX operator spec; cubic with a = −0.75 is torch's bicubic).
// Resize on activations (a U-Net decoder, an FPN, a feature pyramid) is differentiated by autodiff/rules/Resize.ts
// with the same taps (axisTaps). antialias = 1 (opset 18; DINOv2 from transformers ≥ 4.48) as onnxruntime computes it, Pillow's way: when
// downscaling by r = in/out the linear/cubic filter is stretched r times over the input, its weights normalised
// (torch's antialias is the same scheme but with Pillow's cubic a = −0.5 where the exported file says −0.75).
import type { Dim, Node } from './ir.ts';
import { toNumbers } from './tensor.ts';

const constOf = (n: Node, i: number): number[] | undefined => {
  const v = n.inputs[i];
  return v?.constant ? toNumbers(v.constant) : undefined;
};

/** Output dims: `sizes` when given (input 3), else floor(dim · scale) (input 2). */
export function resizeShape(n: Node, x: Dim[], opset: number): Dim[] {
  if (n.attrs.axes) throw new Error(`Resize '${n.name}': the axes attribute is not supported`);
  if (opset < 11) throw new Error(`Resize '${n.name}': opset ${opset} Resize is not supported`);
  const sizes = constOf(n, 3), scales = constOf(n, 2);
  if (sizes && sizes.length) return sizes;
  if (scales && scales.length) return x.map((d, i) => (typeof d === 'number' ? Math.floor(d * scales[i]) : d));
  if (n.inputs[3] || n.inputs[2]) throw new Error(`Resize '${n.name}': scales / sizes must be constants for static shapes`);
  throw new Error(`Resize '${n.name}': neither scales nor sizes given`);
}

function sourceCoord(mode: string, x: number, inLen: number, outLen: number, scale: number): number {
  switch (mode) {
    case 'half_pixel': return (x + 0.5) / scale - 0.5;
    case 'pytorch_half_pixel': return outLen > 1 ? (x + 0.5) / scale - 0.5 : 0;
    case 'align_corners': return outLen === 1 ? 0 : (x * (inLen - 1)) / (outLen - 1);
    case 'asymmetric': return x / scale;
    default: throw new Error(`Resize: coordinate_transformation_mode ${mode} is not supported`);
  }
}

const cubic = (t: number, a: number): number => {
  const u = Math.abs(t);
  if (u <= 1) return (a + 2) * u ** 3 - (a + 3) * u ** 2 + 1;
  if (u < 2) return a * u ** 3 - 5 * a * u ** 2 + 8 * a * u - 4 * a;
  return 0;
};

/** Antialiased taps (onnxruntime's upsample_antialias): the filter of half-width `radius` is widened by in/out when
 * downscaling; taps outside the input are dropped (exclude_outside) or folded onto the edge; weights sum to 1. */
function antialiasTaps(x: number, inLen: number, scale: number, source: number, filter: (t: number) => number, radius: number, exclude: boolean): [number, number][] {
  const ratio = 1 / scale, support = radius * Math.max(ratio, 1), inv = ratio >= 1 ? 1 / ratio : 1;
  const center = 0.5 + (ratio === 1 ? x : source);
  const lo = Math.floor(center - support + 0.5), hi = Math.floor(center + support + 0.5);
  let out: [number, number][] = [];
  for (let j = lo; j < hi; j++) out.push([j, filter((j - center + 0.5) * inv)]);
  if (exclude) out = out.filter(([j]) => j >= 0 && j < inLen);
  const total = out.reduce((p, [, w]) => p + w, 0) || 1;
  return out.map(([j, w]) => [Math.min(inLen - 1, Math.max(0, j)), w / total]);
}

/** Taps (index, weight) of one output position along one axis. */
function taps(n: Node, x: number, inLen: number, outLen: number, scale: number): [number, number][] {
  const mode = n.attrString('mode', 'nearest');
  const ct = n.attrString('coordinate_transformation_mode', 'half_pixel');
  const s = sourceCoord(ct, x, inLen, outLen, scale);
  const clamp = (i: number) => Math.min(inLen - 1, Math.max(0, i));
  if (mode === 'nearest') {
    const nm = n.attrString('nearest_mode', 'round_prefer_floor');
    const r = nm === 'floor' ? Math.floor(s) : nm === 'ceil' ? Math.ceil(s)
      : nm === 'round_prefer_ceil' ? Math.floor(s + 0.5) : Math.ceil(s - 0.5);
    return [[clamp(r), 1]];
  }
  if (n.attrInt('antialias', 0) === 1 && (mode === 'linear' || mode === 'cubic')) {
    return antialiasTaps(x, inLen, scale, s, mode === 'cubic' ? (t) => cubic(t, n.attrFloat('cubic_coeff_a', -0.75)) : (t) => Math.max(0, 1 - Math.abs(t)),
      mode === 'cubic' ? 2 : 1, n.attrInt('exclude_outside', 0) === 1);
  }
  const i0 = Math.floor(s), f = s - i0;
  if (mode === 'linear') {
    const c = Math.min(Math.max(s, 0), inLen - 1), j = Math.floor(c), g = c - j;
    return [[j, 1 - g], [clamp(j + 1), g]];
  }
  if (mode !== 'cubic') throw new Error(`Resize '${n.name}': mode ${mode} is not supported`);
  const a = n.attrFloat('cubic_coeff_a', -0.75), exclude = n.attrInt('exclude_outside', 0) === 1;
  let out: [number, number][] = [-1, 0, 1, 2].map((k) => [i0 + k, cubic(f - k, a)]);
  if (exclude) {
    out = out.filter(([i]) => i >= 0 && i < inLen);
    const sum = out.reduce((p, [, w]) => p + w, 0);
    out = out.map(([i, w]) => [i, w / sum]);
  }
  return out.map(([i, w]) => [clamp(i), w]);
}

/** The taps of every output position along axis `ax` (in → out): Resize is, axis by axis, a linear map. An axis
 * whose length does not change is left as it is (resizeValues skips it; the Resize gradient rule too). */
export function axisTaps(n: Node, ax: number, inLen: number, outLen: number): [number, number][][] {
  const scales = constOf(n, 2);
  const scale = scales && scales.length ? scales[ax] : outLen / inLen;
  return Array.from({ length: outLen }, (_, x) => taps(n, x, inLen, outLen, scale));
}

/** Resizes `v` (shape `shape`, row-major) to `outShape`. */
export function resizeValues(n: Node, v: number[], shape: number[], outShape: number[]): number[] {
  let cur = v;
  const dims = [...shape];
  for (let ax = 0; ax < dims.length; ax++) {
    const inLen = dims[ax], outLen = outShape[ax];
    if (inLen === outLen) continue;
    const inner = dims.slice(ax + 1).reduce((p, d) => p * d, 1), outer = dims.slice(0, ax).reduce((p, d) => p * d, 1);
    const t = axisTaps(n, ax, inLen, outLen);
    const next = new Array<number>(outer * outLen * inner).fill(0);
    for (let o = 0; o < outer; o++) for (let x = 0; x < outLen; x++) for (const [i, w] of t[x]) {
      const src = (o * inLen + i) * inner, dst = (o * outLen + x) * inner;
      for (let k = 0; k < inner; k++) next[dst + k] += w * cur[src + k];
    }
    cur = next; dims[ax] = outLen;
  }
  return cur;
}
