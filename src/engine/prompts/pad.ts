// The pad prompt of Bahng et al. (2022): a frame of width p made of four strips — up (1,3,p,L), down (1,3,p,L),
// left (1,3,L−2p,p), right (1,3,L−2p,p) — with a zero centre, added after normalisation. Init N(0,1).
import type { Builder } from '../../onnx/builder.ts';
import type { Value } from '../../onnx/ir.ts';
import type { Tensor } from '../../onnx/tensor.ts';
import { normalTensor, type Rng } from '../init.ts';

export const PAD_NAMES = ['prompt.pad_up', 'prompt.pad_down', 'prompt.pad_left', 'prompt.pad_right'] as const;

export function padParams(L: number, p: number, rng: Rng): Record<string, Tensor> {
  const side = L - 2 * p;
  return {
    'prompt.pad_up': normalTensor([1, 3, p, L], rng),
    'prompt.pad_down': normalTensor([1, 3, p, L], rng),
    'prompt.pad_left': normalTensor([1, 3, side, p], rng),
    'prompt.pad_right': normalTensor([1, 3, side, p], rng),
  };
}

/** The full (1,3,L,L) frame: [up; [left, 0, right]; down]. */
export function padFrame(b: Builder, up: Value, down: Value, left: Value, right: Value): Value {
  const side = left.dims[2], p = left.dims[3], L = up.dims[3];
  const centre = b.constF(new Float32Array(3 * side * (L - 2 * p)), [1, 3, side, L - 2 * p], 'pad_centre');
  const middle = b.op('Concat', [left, centre, right], { axis: 3 });
  return b.op('Concat', [up, middle, down], { axis: 2 }, 'pad_prompt');
}
