// How a graph is handed to onnxruntime: one protobuf while its initializers stay under SPLIT_THRESHOLD, else the
// protobuf with its weights in data files beside it (onnxruntime's `externalData` session option) — protobuf cannot
// hold a model over 2 GiB (a ViT-H/14's compiled train step is 2.5 GB). Every place that creates a session from a
// graph encodes it here; the threshold can be lowered for tests (setSplitThreshold).
import { encodeModel, encodeSplit } from './codec.ts';
import type { SessionModel } from './external.ts';
import type { Graph } from './ir.ts';
import type { TypedArray } from './tensor.ts';

/** Initializer bytes above which a graph is split (about 1.8 GiB: room under 2 GiB for the graph itself). */
export const DEFAULT_SPLIT_THRESHOLD = Math.floor(1.8 * 2 ** 30);
let threshold = DEFAULT_SPLIT_THRESHOLD;

/** Overrides the split threshold (tests prove the split path on small graphs); returns the previous value. */
export function setSplitThreshold(bytes: number): number {
  const prev = threshold;
  threshold = bytes;
  return prev;
}

/** Bytes of a graph's initializers. */
export function initializerBytes(g: Graph): number {
  let n = 0;
  for (const v of g.initializers()) if (v.constant && v.constant.dtype !== 'string') n += (v.constant.data as TypedArray).byteLength;
  return n;
}

/** The graph as onnxruntime gets it: inline, or split when its initializers pass the threshold. */
export function encodeForSession(g: Graph, o: { prefix?: string } = {}): SessionModel {
  return initializerBytes(g) > threshold ? encodeSplit(g, { prefix: o.prefix }) : encodeModel(g);
}
