// LoR-VP (Jin et al., ICLR 2025): P = B·A per colour channel, B (3,L,r), A (3,r,L); x' = normalize(x + P),
// added in [0,1] pixel space before normalisation. Default init zero,normal makes the prompt start at 0.
import type { Builder } from '../../onnx/builder.ts';
import type { Value } from '../../onnx/ir.ts';
import type { Tensor } from '../../onnx/tensor.ts';
import { parseInit } from '../config.ts';
import { initTensor, type Rng } from '../init.ts';

export function lorvpParams(L: number, rank: number, init: string, rng: Rng): Record<string, Tensor> {
  const [bInit, aInit] = parseInit(init);
  return { 'prompt.B': initTensor(bInit, [3, L, rank], rng), 'prompt.A': initTensor(aInit, [3, rank, L], rng) };
}

/** x + B·A (broadcast over the batch). */
export function applyLorvp(b: Builder, x: Value, B: Value, A: Value): Value {
  return b.add(x, b.op('MatMul', [B, A], {}, 'lorvp_prompt'));
}
