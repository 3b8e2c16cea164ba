// DepthToSpace (blocksize k, x [N, C, H, W] → [N, C/k², H·k, W·k]) is a Reshape, Transpose, Reshape:
//   DCR: x → [N, k, k, C/k², H, W] → perm [0, 3, 4, 1, 5, 2] → [N, C/k², H, k, W, k]
//   CRD: x → [N, C/k², k, k, H, W] → perm [0, 1, 4, 2, 5, 3] → [N, C/k², H, k, W, k]  (torch's PixelShuffle)
// so dx = the inverse: dy viewed as [N, C/k², H, k, W, k], the inverse permutation, reshaped to x's shape. Built
// from Reshape/Transpose rather than SpaceToDepth (DCR's inverse), which JSEP lacks. The helper serves
// SpaceToDepth.ts too.
import type { Builder } from '../../onnx/builder.ts';
import type { Node, Value } from '../../onnx/ir.ts';
import type { RuleSpec } from '../types.ts';

/** Reshape to `view`, Transpose by the inverse of `perm`, Reshape to `out`. */
export function unpermute(b: Builder, v: Value, view: number[], perm: number[], out: number[]): Value {
  const inv = Array<number>(perm.length);
  perm.forEach((p, i) => { inv[p] = i; });
  return b.reshape(b.transpose(b.reshape(v, view), inv), out);
}

/** The blocksize of a rank-4 DepthToSpace/SpaceToDepth node. */
export function blockSize(node: Node): number {
  if (node.input(0).rank !== 4) throw new Error(`${node.opType} '${node.name}': only rank-4 (NCHW) inputs are supported`);
  return node.attrInt('blocksize');
}

export const rule: RuleSpec = {
  op: 'DepthToSpace',
  grad: ({ b, node, I, GO }) => {
    const k = blockSize(node), [n, c, h, w] = I(0).dims, mode = node.attrString('mode', 'DCR');
    if (mode !== 'DCR' && mode !== 'CRD') throw new Error(`DepthToSpace '${node.name}': unknown mode '${mode}'`);
    const perm = mode === 'DCR' ? [0, 3, 4, 1, 5, 2] : [0, 1, 4, 2, 5, 3];
    return [unpermute(b, GO(0)!, [n, c / (k * k), h, k, w, k], perm, [n, c, h, w])];
  },
};
