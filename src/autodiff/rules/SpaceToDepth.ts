// SpaceToDepth (blocksize k, x [N, C, H, W] → [N, C·k², H/k, W/k]) is a Reshape, Transpose, Reshape:
//   x → [N, C, H/k, k, W/k, k] → perm [0, 3, 5, 1, 2, 4] → [N, k, k, C, H/k, W/k] → [N, C·k², H/k, W/k]
// so dx = dy viewed as [N, k, k, C, H/k, W/k], the inverse permutation, reshaped to x's shape (DepthToSpace DCR of
// dy, built from Reshape/Transpose as in DepthToSpace.ts).
import type { RuleSpec } from '../types.ts';
import { blockSize, unpermute } from './DepthToSpace.ts';

export const rule: RuleSpec = {
  op: 'SpaceToDepth',
  grad: ({ b, node, I, GO }) => {
    const k = blockSize(node), [n, c, h, w] = I(0).dims;
    return [unpermute(b, GO(0)!, [n, k, k, c, h / k, w / k], [0, 3, 5, 1, 2, 4], [n, c, h, w])];
  },
};
