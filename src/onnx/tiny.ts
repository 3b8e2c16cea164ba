// The one-node-per-tensor models the runtimes build for themselves: y_i = x_i + x_i (a probe that an EP computes;
// onnxruntime-allocated GPU buffers for graph capture) or y_i = Identity(x_i) (a read-back session), on tensors
// x0, x1, … of the given types and shapes (symbolic dims allowed), as ONNX bytes.
import { encodeModel } from './codec.ts';
import { Graph, type Dim } from './ir.ts';
import type { DType } from './tensor.ts';

export function elementwiseModel(op: 'Add' | 'Identity', specs: { dtype: DType; shape: readonly Dim[] }[]): Uint8Array {
  const g = new Graph();
  specs.forEach((sp, i) => {
    const x = g.value(`x${i}`), y = g.value(`y${i}`);
    x.dtype = sp.dtype; x.shape = [...sp.shape];
    g.inputs.push(x);
    g.addNode(op, op === 'Add' ? [x, x] : [x], [y]);
    y.dtype = sp.dtype; y.shape = [...sp.shape];
    g.outputs.push(y);
  });
  return encodeModel(g);
}
