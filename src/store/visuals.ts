// Pictures of what was learned, as pure functions on trained tensors: the LoR-VP prompt P = B·A and the pad
// prompt frame (both [3, L, L]), their visible rendering and their effect on a sample image, and the VPT token
// norms per layer.
import type { WireTensor } from '../worker/protocol.ts';

/** P[c] = B[c] · A[c] for B (3, L, r) and A (3, r, L): the LoR-VP prompt in [0,1] pixel units. */
export function lorvpPrompt(B: WireTensor, A: WireTensor): Float32Array {
  const [, L, r] = B.shape;
  const P = new Float32Array(3 * L * L);
  for (let c = 0; c < 3; c++) {
    for (let i = 0; i < L; i++) {
      for (let k = 0; k < r; k++) {
        const b = B.data[(c * L + i) * r + k];
        if (b === 0) continue;
        const aRow = (c * r + k) * L, pRow = (c * L + i) * L;
        for (let j = 0; j < L; j++) P[pRow + j] += b * A.data[aRow + j];
      }
    }
  }
  return P;
}

/** The pad prompt frame [up; [left, 0, right]; down] (3, L, L), in normalised units. */
export function padPrompt(up: WireTensor, down: WireTensor, left: WireTensor, right: WireTensor): Float32Array {
  const p = up.shape[2], L = up.shape[3], side = left.shape[2];
  const P = new Float32Array(3 * L * L);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < p; y++) {
      for (let x = 0; x < L; x++) {
        P[(c * L + y) * L + x] = up.data[(c * p + y) * L + x];
        P[(c * L + L - p + y) * L + x] = down.data[(c * p + y) * L + x];
      }
    }
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < p; x++) {
        P[(c * L + p + y) * L + x] = left.data[(c * side + y) * p + x];
        P[(c * L + p + y) * L + L - p + x] = right.data[(c * side + y) * p + x];
      }
    }
  }
  return P;
}

/** Normalised-space prompt to pixel space: P·std per channel (x' = normalize(x) + P = normalize(x + P·std)). */
export function toPixelSpace(P: Float32Array, std: number[]): Float32Array {
  const n = P.length / 3, out = new Float32Array(P.length);
  for (let i = 0; i < P.length; i++) out[i] = P[i] * std[Math.floor(i / n)];
  return out;
}

/** A signed prompt as a picture: 0 is mid-grey, ±max|P| are black/white per channel. */
export function visiblePrompt(P: Float32Array): { image: Float32Array; maxAbs: number } {
  let m = 0;
  for (const v of P) m = Math.max(m, Math.abs(v));
  const image = new Float32Array(P.length);
  for (let i = 0; i < P.length; i++) image[i] = m > 0 ? 0.5 + P[i] / (2 * m) : 0.5;
  return { image, maxAbs: m };
}

/** x + P, clamped to [0, 1] for display (the model itself sees the unclamped sum). */
export function addPrompt(x: Float32Array, P: Float32Array): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = Math.min(1, Math.max(0, x[i] + P[i]));
  return out;
}

/** L2 norm of every prompt token per layer: rows = layers (0 = shallow tokens), columns = tokens. */
export function vptTokenNorms(tokens: WireTensor, deep: WireTensor | undefined): number[][] {
  const rows: number[][] = [];
  const norms = (t: WireTensor, offset: number, count: number, D: number) =>
    Array.from({ length: count }, (_, k) => {
      let s = 0;
      for (let j = 0; j < D; j++) { const v = t.data[offset + k * D + j]; s += v * v; }
      return Math.sqrt(s);
    });
  const [p, D] = tokens.shape;
  rows.push(norms(tokens, 0, p, D));
  if (deep) for (let l = 0; l < deep.shape[0]; l++) rows.push(norms(deep, l * p * D, p, D));
  return rows;
}

/** [3, L, L] planes to RGBA bytes (clamped), for an ImageData. */
export function planesToRgba(data: Float32Array, L: number): Uint8ClampedArray<ArrayBuffer> {
  const n = L * L, out = new Uint8ClampedArray(new ArrayBuffer(4 * n));
  for (let p = 0; p < n; p++) {
    out[4 * p] = data[p] * 255;
    out[4 * p + 1] = data[n + p] * 255;
    out[4 * p + 2] = data[2 * n + p] * 255;
    out[4 * p + 3] = 255;
  }
  return out;
}
