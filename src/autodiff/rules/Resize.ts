// Resize on activations: axis by axis the op is linear, y = W_a x along each resized axis a (W_a [out, in], the
// interpolation taps of onnx/resize.ts: nearest, linear, cubic, antialias, every coordinate mode), so
// dx = dy contracted with W_a over a, one axis at a time in reverse order: the last axis as dy · W_a, any other as
// Wᵀ_a · dy with the axis second-to-last (moved there by a Transpose when it is not already). Axes whose length does not change are the
// identity (as the host kernel treats them). The resized axes' lengths must be static; roi, scales and sizes carry
// no gradient (tf_crop_and_resize and the axes attribute are refused by the attribute audit and resizeShape).
import { axisTaps } from '../../onnx/resize.ts';
import type { RuleSpec } from '../types.ts';

export const rule: RuleSpec = {
  op: 'Resize',
  nondiff: [1, 2, 3],
  grad: ({ b, node, I, O, GO }) => {
    const inDims = I(0).dims, outDims = O(0).dims;
    let g = GO(0)!;
    const rank = inDims.length;
    for (let ax = rank - 1; ax >= 0; ax--) {
      const inLen = inDims[ax], outLen = outDims[ax];
      if (inLen === outLen) continue;
      if (typeof inLen !== 'number' || typeof outLen !== 'number') throw new Error(`Resize '${node.name}' gradient: axis ${ax} must have a static length`);
      const last = ax === rank - 1;
      const w = new Float32Array(inLen * outLen); // last axis: W [out, in]; else Wᵀ [in, out]
      axisTaps(node, ax, inLen, outLen).forEach((t, x) => { for (const [i, v] of t) w[last ? x * inLen + i : i * outLen + x] += v; });
      const W = b.constF(w, last ? [outLen, inLen] : [inLen, outLen], 'resize_w');
      if (last) {
        g = b.op('MatMul', [g, W]); // […, out] · W [out, in]
      } else {
        // move ax to second-to-last, contract, move back
        const perm = [...Array(rank).keys()].filter((a) => a !== ax && a !== rank - 1).concat([ax, rank - 1]);
        const moved = ax === rank - 2 ? g : b.transpose(g, perm);
        const r = b.op('MatMul', [W, moved]);
        g = ax === rank - 2 ? r : b.transpose(r, perm.map((_, i) => perm.indexOf(i)));
      }
    }
    return [g, null, null, null];
  },
};
