// MaxPool (values only — the Indices output is never emitted): y[o] = max_k x_pad[o·s + k·d] with x_pad the input
// padded by p_b / p_e with −3.4e38. For each kernel offset k (row-major) the strided Slice w_k of x_pad is
// compared with y; m_k = [w_k = y]·(1 − taken), taken += m_k keeps only the FIRST maximum of every window
// (torch CPU's max_pool convention for ties). Then dx = Σ_k place_k(m_k · dy), done in one ConvTranspose of the
// stacked [N·C, K, *O] contributions with a constant one-hot kernel W[k, 0, k] = 1 (strides s, dilations d,
// crop p_b) — no scatter ops, no Indices. Channels go to the batch, not to groups (onnxruntime 1.30's native
// WebGPU ConvTranspose is wrong for group > 1 with an even number of inputs and one output per group).
// ceil_mode, dilations, auto_pad and 1-D pools (lifted to 2-D) are handled.
import type { Value } from '../../onnx/ir.ts';
import type { RuleSpec } from '../types.ts';
import { convTransposeTo, geometry, lift, liftGeo } from './Conv.ts';
import { pad } from './Pad.ts';
import { slice } from './Slice.ts';

const NEG = -3.4e38;

/** Kernel offsets in row-major order. */
export const offsets = (k: number[]): number[][] =>
  k.reduce<number[][]>((acc, kk) => acc.flatMap((p) => [...Array(kk).keys()].map((j) => [...p, j])), [[]]);

export const rule: RuleSpec = {
  op: 'MaxPool',
  grad: ({ b, node, I, O, GO }) => {
    const flat = I(0).dims.length === 3;
    let geo = geometry(node, I(0).dims.slice(2), O(0).dims.slice(2), node.attrInts('kernel_shape'));
    // y goes through a Reshape (a no-op) to pin its static shape: onnxruntime 1.30's WebGPU EP (NHWC MaxPool) infers
    // a wrong size for some ceil_mode pools, and the Equal below then fails to load
    const [x, y, dy] = flat ? [lift(b, I(0)), lift(b, O(0)), lift(b, GO(0)!)] : [I(0), b.reshape(O(0), O(0).dims), GO(0)!];
    if (flat) geo = liftGeo(geo);
    const [n, c, ...sp] = x.dims, os = y.dims.slice(2), axes = sp.map((_, i) => i + 2);
    const span = os.map((o, i) => (o - 1) * geo.s[i] + 1); // extent of one offset's strided window
    const need = span.map((l, i) => l + (geo.k[i] - 1) * geo.d[i] - geo.pb[i] - sp[i]);
    const xp = pad(b, x, [0, 0, ...geo.pb, 0, 0, ...need.map((e) => Math.max(e, 0))], NEG);
    const one = b.scalar(1), f32 = 1;
    let taken: Value | null = null;
    const parts: Value[] = [];
    const offs = offsets(geo.k);
    for (const off of offs) {
      const st = off.map((j, i) => j * geo.d[i]);
      const w = slice(b, xp, st, st.map((s0, i) => s0 + span[i]), axes, geo.s);
      const eq = b.op('Cast', [b.op('Equal', [w, y])], { to: f32 });
      const m: Value = taken ? b.mul(eq, b.sub(one, taken)) : eq;
      taken = taken ? b.add(taken, m) : m;
      parts.push(b.unsqueeze(b.mul(m, dy), [2]));
    }
    const kk = offs.length; // channels folded into the batch: one ungrouped ConvTranspose with K inputs
    const stacked = b.reshape(b.op('Concat', parts, { axis: 2 }), [n * c, kk, ...os]);
    const h = new Float32Array(kk * kk);
    for (let j = 0; j < kk; j++) h[j * kk + j] = 1;
    const oneHot = b.constF(h, [kk, 1, ...geo.k], 'maxpool_onehot');
    return [b.reshape(convTransposeTo(b, stacked, oneHot, 1, geo, sp), I(0).dims)];
  },
};
