// One call from ONNX bytes to an analysable graph: decode, canonicalise, fix the batch size (re-batching a
// fixed-batch export), infer shapes with folding, remove dead nodes, sort, check.
import { assertValid } from './checker.ts';
import { decodeModel } from './codec.ts';
import type { Graph } from './ir.ts';
import { canonicalize } from './passes/canonicalize.ts';
import { removeDeadNodes } from './passes/dce.ts';
import { inferShapes } from './passes/infer.ts';
import { fixedBatch, rebatch } from './passes/rebatch.ts';
import { toposort } from './passes/toposort.ts';

export interface PrepareOptions { batch?: number }

export function prepareGraph(g: Graph, opts: PrepareOptions = {}): Graph {
  const sub = g.nodes.find((n) => Object.values(n.attrs).some((a) => a.type === 'graph'));
  if (sub) throw new Error(`unsupported op ${sub.opType} (node '${sub.name}'): control flow with subgraphs is not supported`);
  toposort(g);
  canonicalize(g);
  if (opts.batch !== undefined && fixedBatch(g) !== undefined && fixedBatch(g) !== opts.batch) rebatch(g, opts.batch);
  else inferShapes(g, { batch: opts.batch });
  removeDeadNodes(g);
  assertValid(g);
  return g;
}

export function loadModel(bytes: Uint8Array, opts: PrepareOptions = {}): Graph {
  return prepareGraph(decodeModel(bytes), opts);
}
