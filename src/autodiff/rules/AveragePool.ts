// AveragePool: y[o] = (1 / cnt[o]) · Σ_k x_pad[o·s + k·d], x_pad zero-padded by p_b / p_e. Then
//   dx = ConvTranspose(dy / cnt, ones[1, 1, *K]; strides s, dilations d, crop p_b) with the channels folded into
//   the batch (scatter-free).
// cnt is a constant [*O] map from the static shapes, the product over axes of the number of taps o·s + k·d − p_b
// that fall inside [0, D) (count_include_pad = 0) or inside [−p_b, D + p_e) (count_include_pad = 1; windows that
// ceil_mode lets run past the end padding are clipped, as in torch and onnxruntime). 1-D pools are lifted to 2-D.
import type { RuleSpec } from '../types.ts';
import { convTransposeTo, geometry, lift, liftGeo } from './Conv.ts';

export const rule: RuleSpec = {
  op: 'AveragePool',
  grad: ({ b, node, I, GO }) => {
    const flat = I(0).dims.length === 3, include = node.attrInt('count_include_pad', 0) === 1;
    let geo = geometry(node, I(0).dims.slice(2), GO(0)!.dims.slice(2), node.attrInts('kernel_shape'));
    const dy = flat ? lift(b, GO(0)!) : GO(0)!;
    const sp = flat ? [1, ...I(0).dims.slice(2)] : I(0).dims.slice(2);
    if (flat) geo = liftGeo(geo);
    const c = dy.dims[1], os = dy.dims.slice(2);
    // per-axis tap counts, then their outer product
    const perAxis = os.map((o, i) => Array.from({ length: o }, (_, j) => {
      const lo = include ? -geo.pb[i] : 0, hi = include ? sp[i] + geo.pe[i] : sp[i];
      let cnt = 0;
      for (let k = 0; k < geo.k[i]; k++) { const t = j * geo.s[i] + k * geo.d[i] - geo.pb[i]; if (t >= lo && t < hi) cnt++; }
      return cnt;
    }));
    let inv: number[] = [1];
    for (const a of perAxis) inv = inv.flatMap((p) => a.map((q) => p / Math.max(q, 1)));
    const scaled = inv.every((v) => v === inv[0]) ? b.mul(dy, b.scalar(inv[0])) : b.mul(dy, b.constF(inv, [1, 1, ...os], 'avgpool_inv_count'));
    const ones = b.constF(new Float32Array(geo.k.reduce((p, q) => p * q, 1)).fill(1), [1, 1, ...geo.k], 'avgpool_ones');
    return [b.reshape(convTransposeTo(b, b.reshape(scaled, [dy.dims[0] * c, 1, ...os]), ones, 1, geo, sp), I(0).dims)];
  },
};
