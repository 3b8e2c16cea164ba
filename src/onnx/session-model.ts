// How a graph is handed to onnxruntime: one protobuf while its initializers stay under SPLIT_THRESHOLD, else the
// protobuf with its weights in data files beside it (onnxruntime's `externalData` session option) — protobuf cannot
// hold a model over 2 GiB (a ViT-H/14's compiled train step is 2.5 GB). Every place that creates a session from a
// graph encodes it here; the threshold can be lowered for tests (setSplitThreshold). A graph the engine keeps as
// bytes (the loaded backbone every step is compiled from) is split the same way over the threshold, its weights
// kept in this process's memory (encodeInProcess).
import { encodeModel, encodeSplit } from './codec.ts';
import { keepInMemory, memoryPrefix, type SessionModel } from './external.ts';
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

/** The graph as bytes for this process: inline under the threshold; over it, a small protobuf whose weights stay in
 * memory for as long as the bytes live (decodeModel reads them back, the executors hand them to onnxruntime). The
 * bytes must be kept as they are (a copy does not keep the weights). */
export function encodeInProcess(g: Graph): Uint8Array {
  if (initializerBytes(g) <= threshold) return encodeModel(g);
  const prefix = memoryPrefix();
  const split = encodeSplit(g, { fileName: (i) => `${prefix}${i}` });
  keepInMemory(split.model, split.externalData);
  return split.model;
}

/** A model file to hand out (the deployable model.onnx): one protobuf, or over the threshold the hubs' layout of
 * `model.onnx` + one data file beside it (`dataFile`, default model.onnx_data). */
export function encodeFile(g: Graph, dataFile = 'model.onnx_data'): SessionModel {
  return initializerBytes(g) > threshold ? encodeSplit(g, { fileName: () => dataFile, fileBytes: Infinity }) : encodeModel(g);
}

/** The graph as onnxruntime gets it: inline, or split when its initializers pass the threshold. */
export function encodeForSession(g: Graph, o: { prefix?: string } = {}): SessionModel {
  return initializerBytes(g) > threshold ? encodeSplit(g, { prefix: o.prefix }) : encodeModel(g);
}
