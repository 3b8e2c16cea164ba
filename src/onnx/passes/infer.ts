// Pass: static shape inference with constant folding, in one forward walk. Fixes the batch dimension of every
// graph input (dim 0) to `batch` when given; folds any node whose inputs are all constant (and Shape/Size of
// statically shaped values) into initializers, so the shape subgraphs exporters emit disappear.
// Invariant after: every value has a dtype and a shape; no foldable node with constant inputs remains.
import type { Graph, Node } from '../ir.ts';
import { evaluateNode, FOLDABLE } from '../evaluate.ts';
import { inferNode } from '../shapes.ts';
import { numel, type Tensor } from '../tensor.ts';

export interface InferOptions { batch?: number; fold?: boolean; maxFoldElements?: number }

/** Removes node `n`, its first outputs becoming the constants `values` (its folded result; outputs past them must
 * be unused). */
export function replaceWithConstants(g: Graph, n: Node, values: Tensor[]): void {
  g.removeNode(n);
  values.forEach((t, i) => { const o = n.outputs[i]; o.constant = t; o.dtype = t.dtype; o.shape = [...t.shape]; });
}

export function inferShapes(g: Graph, opts: InferOptions = {}): boolean {
  const fold = opts.fold ?? true;
  const maxFold = opts.maxFoldElements ?? 1 << 24;
  let changed = false;
  if (opts.batch !== undefined) {
    for (const v of g.inputs) {
      if (!v.shape || v.shape.length === 0) continue;
      if (v.shape[0] !== opts.batch) { v.shape = [opts.batch, ...v.shape.slice(1)]; changed = true; }
    }
    // output and intermediate shapes from the file may hold the old batch: recompute them
    for (const n of g.nodes) for (const o of n.outputs) o.shape = undefined;
  }
  for (const n of [...g.nodes]) {
    inferNode(n, g.opset);
    if (!fold || !FOLDABLE.has(n.opType) || n.domain !== '') continue;
    const staticShapeOp = (n.opType === 'Shape' || n.opType === 'Size') && n.input(0).shape?.every((d) => typeof d === 'number');
    const allConst = n.inputs.every((v) => !v || v.constant);
    if (!staticShapeOp && !allConst) continue;
    if (n.outputs.some((o) => !o.shape || o.dtype === 'float16' || !o.shape.every((d) => typeof d === 'number') || numel(o.shape as number[]) > maxFold)) continue;
    replaceWithConstants(g, n, evaluateNode(n, g.opset));
    changed = true;
  }
  if (changed) g.pruneValues();
  return changed;
}
