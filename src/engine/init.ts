// Initial values of trainable tensors (seeded, with the data module's xoshiro128** Rng): LoR-VP's inits by name, the pad prompt's N(0,1), VPT's
// uniform(−v, v), and PyTorch Linear's default U(−1/√in, 1/√in) for heads.
import type { Tensor } from '../onnx/tensor.ts';
import { Rng } from '../data/rng.ts';
import type { InitKind } from './config.ts';

export { Rng };
const uniform = (rng: Rng, lo: number, hi: number) => lo + (hi - lo) * rng.next();

const filled = (shape: number[], f: () => number): Tensor => {
  const n = shape.reduce((a, b) => a * b, 1);
  return { dtype: 'float32', shape, data: Float32Array.from({ length: n }, f) };
};

/** torch.nn.init fans for a tensor of this shape. */
function fans(shape: number[]): [number, number] {
  const rf = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1] * rf, shape[0] * rf];
}

export function initTensor(kind: InitKind, shape: number[], rng: Rng): Tensor {
  const [fanIn, fanOut] = fans(shape);
  switch (kind) {
    case 'zero': return filled(shape, () => 0);
    case 'normal': return filled(shape, () => 0.01 * rng.normal());
    case 'random': return filled(shape, () => rng.normal());
    case 'uniform': return filled(shape, () => uniform(rng, -0.1, 0.1));
    case 'xavier': { const a = Math.sqrt(6 / (fanIn + fanOut)); return filled(shape, () => uniform(rng, -a, a)); }
    case 'kaiming': { const a = Math.sqrt(2) * Math.sqrt(3 / fanIn); return filled(shape, () => uniform(rng, -a, a)); }
  }
}

export const normalTensor = (shape: number[], rng: Rng, std = 1): Tensor => filled(shape, () => std * rng.normal());
export const uniformTensor = (shape: number[], rng: Rng, bound: number): Tensor => filled(shape, () => uniform(rng, -bound, bound));

/** PyTorch nn.Linear(in, out) default init: weight and bias ~ U(−1/√in, 1/√in). */
export function linearInit(out: number, inp: number, rng: Rng): { weight: Tensor; bias: Tensor } {
  const b = 1 / Math.sqrt(inp);
  return { weight: uniformTensor([out, inp], rng, b), bias: uniformTensor([out], rng, b) };
}
