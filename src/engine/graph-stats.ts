// What a compiled step costs, statically: nodes, multiply-add FLOPs of its MatMul / Gemm / Conv / ConvTranspose
// nodes (2·multiply-adds, from the static shapes), and the bytes of its constants (weights). `vp-studio bench`
// reports these for our graph and for onnxruntime's optimised version of it (kernels after its fusions, and the
// weights after its constant folding — where a transposed copy of a frozen weight would show up).
import type { Graph } from '../onnx/ir.ts';
import { byteSize, numel } from '../onnx/tensor.ts';

export interface GraphStats { nodes: number; flops: number; weightBytes: number; byOp: Record<string, number> }

export function graphStats(g: Graph): GraphStats {
  let flops = 0;
  const byOp: Record<string, number> = {};
  for (const n of g.nodes) {
    byOp[n.opType] = (byOp[n.opType] ?? 0) + 1;
    const out = n.outputs[0]?.shape;
    if (!out || out.some((d) => typeof d !== 'number')) continue;
    const o = out as number[];
    const w = n.inputs[1]?.shape as number[] | undefined;
    if (n.opType === 'MatMul' || n.opType === 'FusedMatMul') {
      const a = n.inputs[0]?.shape as number[] | undefined;
      if (a) flops += 2 * numel(o) * a[a.length - 1];
    } else if (n.opType === 'Gemm') {
      const a = n.inputs[0]?.shape as number[] | undefined;
      if (a) flops += 2 * numel(o) * (n.attrInt('transA', 0) ? a[0] : a[a.length - 1]);
    } else if ((n.opType === 'Conv' || n.opType === 'FusedConv') && w) {
      flops += 2 * numel(o) * numel(w.slice(1));
    } else if (n.opType === 'ConvTranspose' && w) {
      const x = n.inputs[0]!.shape as number[];
      flops += 2 * numel(x) * numel(w.slice(1));
    }
  }
  let weightBytes = 0;
  for (const v of g.initializers()) if (v.constant && v.dtype !== 'string') weightBytes += numel(v.constant.shape) * byteSize(v.dtype!);
  return { nodes: g.nodes.length, flops, weightBytes, byOp };
}
