// ConvTranspose: y[n, g·M/g + m, o] = Σ_{c ∈ group g, i, k : i·s + k·d − p_b = o} x[n,c,i] · W[c,m,k] + B — the
// adjoint of a Conv with the same W, geometry and group. Hence
//   dx = Conv(dy, W; group, strides s, dilations d, pads p_b / p_e)   (its output has X positions; sliced if more),
//   dW = the Conv weight gradient with the roles swapped: input dy, output gradient x (see Conv.ts),
//   dB[m] = Σ_{n,o} dy[n,m,o].
// Refused: output_shape and auto_pad SAME_* (their pad split is implementation-defined) — give explicit pads.
import type { Value } from '../../onnx/ir.ts';
import type { RuleSpec } from '../types.ts';
import { convWeightGrad, lift, liftGeo, unlift, type Geo } from './Conv.ts';
import { slice } from './Slice.ts';

export const rule: RuleSpec = {
  op: 'ConvTranspose',
  grad: ({ b, node, I, GO, needs }) => {
    const auto = node.attrString('auto_pad', 'NOTSET');
    if (node.attrs.output_shape || auto === 'SAME_UPPER' || auto === 'SAME_LOWER') {
      throw new Error(`ConvTranspose '${node.name}' gradient: output_shape / auto_pad ${auto} are not supported (use explicit pads)`);
    }
    const group = node.attrInt('group', 1), flat = I(0).dims.length === 3, sp = I(0).dims.length - 2;
    const ones = Array(sp).fill(1), pads = auto === 'VALID' ? Array(2 * sp).fill(0) : node.attrInts('pads', Array(2 * sp).fill(0));
    let geo: Geo = { k: I(1).dims.slice(2), s: node.attrInts('strides', ones), d: node.attrInts('dilations', ones), pb: pads.slice(0, sp), pe: pads.slice(sp) };
    const [x, w, dy] = flat ? [lift(b, I(0)), lift(b, I(1)), lift(b, GO(0)!)] : [I(0), I(1), GO(0)!];
    if (flat) geo = liftGeo(geo);
    const back = (v: Value) => (flat ? unlift(b, v) : v);
    let dx: Value | null = null;
    if (needs(0)) {
      dx = b.op('Conv', [dy, w], { group, strides: geo.s, dilations: geo.d, pads: [...geo.pb, ...geo.pe], kernel_shape: geo.k });
      const axes = geo.k.map((_, i) => i + 2);
      if (axes.some((a) => dx!.dims[a] !== x.dims[a])) dx = slice(b, dx, axes.map(() => 0), axes.map((a) => x.dims[a]), axes);
      dx = back(dx);
    }
    const dw = needs(1) ? back(convWeightGrad(b, dy, x, group, geo)) : null;
    const spatial = GO(0)!.dims.slice(2).map((_, i) => i + 2);
    const db = node.hasInput(2) && needs(2) ? b.reduceSum(GO(0)!, [0, ...spatial], false) : null;
    return [dx, dw, db];
  },
};
