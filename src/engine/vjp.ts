// Vector-Jacobian products of a whole model: (d output₀ / d input₀)ᵀ · C as one ONNX graph with inputs
// (input, cotangent) and output `grad`. Models exported with a fixed batch size are run in chunks of that size
// (exact: the frozen backbone treats the samples of a batch independently).
import { backward } from '../autodiff/backward.ts';
import { decodeModel } from '../onnx/codec.ts';
import { removeDeadNodes } from '../onnx/passes/dce.ts';
import { prepareGraph } from '../onnx/load.ts';
import type { Graph } from '../onnx/ir.ts';
import { assertValid } from '../onnx/checker.ts';

/** The batch size baked into a model's first input, or undefined when its batch axis is dynamic. */
export function fixedBatch(model: Uint8Array | Graph): number | undefined {
  const g = model instanceof Uint8Array ? decodeModel(model) : model;
  const d = g.inputs[0]?.shape?.[0];
  return typeof d === 'number' ? d : undefined;
}

export function buildVjpGraph(model: Uint8Array, batch: number): Graph {
  const g = decodeModel(model);
  prepareGraph(g, { batch });
  const x = g.inputs[0], y = g.outputs[0];
  if (!x || !y) throw new Error('model has no inputs or no outputs');
  const c = g.value(g.freshName('cotangent'));
  c.dtype = 'float32';
  c.shape = [...y.dims];
  g.inputs = [x, c];
  const grads = backward(g, { seeds: [{ value: y, grad: c }], wrt: [x] });
  let gx = grads.get(x);
  if (!gx) throw new Error(`output '${y.name}' does not depend on input '${x.name}'`);
  if (gx === c || g.inputs.includes(gx)) {
    const id = g.newValue('grad');
    g.addNode('Identity', [gx], [id]);
    id.dtype = gx.dtype; id.shape = gx.shape;
    gx = id;
  }
  g.outputs = [gx];
  removeDeadNodes(g);
  assertValid(g);
  return g;
}
