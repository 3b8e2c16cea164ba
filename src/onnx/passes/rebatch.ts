// Pass: re-batch a graph exported with a fixed batch size (onnx/models' timm turnkey exports and MXNet's
// mobilenetv2-7 are [1,3,224,224]): the batch is baked into Reshape targets, Expand shapes and constants, so
// changing the input's dim 0 is not enough. The graph is first inferred at its own batch, then the batch axis is
// re-specialised downstream with the same machinery as VPT's sequence length (respecialize.resizeAxis), which
// tracks where the batch sits in every value (through reshapes and transposes) and rewrites the constants that
// carry it. A batch of 1 is ambiguous in a reshape (any size-1 dim could be it): the batch goes to the first
// size-1 output dim where the input's batch would start, else it merges into the dim it lands in.
// Invariants after: the first input has dim 0 = batch; every value that carried the batch carries the new one;
// `assertValid` holds. The batch merged with other factors (Swin's window partition: [1,8,8,7,7,C] → [64,7,7,C] =
// B·nW) is tracked as such and rewritten to B'·nW. A graph that truly cannot be re-batched (batch mixed with other
// axes, gathered with computed indices, …) throws a RebatchError (one line naming the node and saying what runs
// instead), the graph left as it was; `rebatchRefusal` asks that question of a copy once, at load.
import type { Graph } from '../ir.ts';
import { canonicalize } from './canonicalize.ts';
import { inferShapes } from './infer.ts';
import { resizeAxis } from './respecialize.ts';
import { toposort } from './toposort.ts';

/** A fixed-batch graph that cannot be re-specialised to another batch size; `reason` names the node. */
export class RebatchError extends Error {
  constructor(readonly fixed: number, readonly reason: string) {
    super(`cannot re-batch this backbone (exported with a fixed batch of ${fixed}): ${reason}; it runs ${fixed === 1 ? 'one image' : `${fixed} images`} at a time, as training and evaluation do by themselves (micro-batches of ${fixed}, gradients accumulated)`);
  }
}

export function fixedBatch(g: Graph): number | undefined {
  const d = g.inputs[0]?.shape?.[0];
  return typeof d === 'number' ? d : undefined;
}

export function rebatch(g: Graph, batch: number): boolean {
  const old = fixedBatch(g);
  if (old === undefined || old === batch) return false;
  inferShapes(g);
  const x = g.inputs[0];
  const saved = x.shape;
  x.shape = [batch, ...x.shape!.slice(1)];
  try {
    return resizeAxis(g, x, 0, batch, old);
  } catch (e) {
    x.shape = saved;
    throw new RebatchError(old, (e as Error).message.replace(/^resizeAxis: /, ''));
  }
}

/** Why the fixed batch F of `g` cannot be changed (RebatchError's reason), or undefined when it can (or `g` has no
 * fixed batch). Tries batch F + 1 on `g` itself: pass a copy. */
export function rebatchRefusal(g: Graph): string | undefined {
  const old = fixedBatch(g);
  if (old === undefined) return undefined;
  toposort(g);
  canonicalize(g);
  try {
    rebatch(g, old + 1);
    return undefined;
  } catch (e) {
    if (e instanceof RebatchError) return e.reason;
    throw e;
  }
}
