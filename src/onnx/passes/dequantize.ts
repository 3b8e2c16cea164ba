// Pass: dequantize a quantized model back to float ops. transformers.js ships `model_quantized.onnx`, made by
// onnxruntime's dynamic quantization (IntegerOps): x → DynamicQuantizeLinear → (x_q, x_scale, x_zp);
// MatMulInteger(x_q, W_q, x_zp, W_zp) or ConvInteger(…) → Cast(to FLOAT) → Mul(·, Mul(x_scale, W_scale)).
// QDQ models wrap weights in DequantizeLinear and activations in QuantizeLinear → DequantizeLinear pairs.
// We rewrite each pattern to the float op on the float activation with the dequantized weight
// W = (W_q − W_zp) · W_scale (per tensor, or per output channel: W's last axis for MatMul, first for Conv), and
// drop the activation quantization: its gradient is zero almost everywhere, so a prompt could not be trained
// through it, and the float weights are what the quantized file approximates. The result is the quantized model
// without activation rounding — about 4× the file's memory once loaded, the price of training through it.
// Invariants after: no DynamicQuantizeLinear, MatMulInteger, ConvInteger, QuantizeLinear or DequantizeLinear node
// on a path to an output (unmatched ones throw one line naming the node); value names of the pattern outputs
// are kept. Dead quantization nodes are left for dead-code removal. Returns whether anything changed.
import type { Graph, Node, Value } from '../ir.ts';
import { toNumbers, type Tensor } from '../tensor.ts';

const QUANT_OPS = new Set(['DynamicQuantizeLinear', 'MatMulInteger', 'ConvInteger', 'QuantizeLinear', 'DequantizeLinear',
  'QLinearConv', 'QLinearMatMul']);

export const isQuantized = (g: Graph): boolean => g.nodes.some((n) => QUANT_OPS.has(n.opType));

/** (q − zp) · s with zp and s scalars or per-slice along `axis` of q. */
function dequant(q: Tensor, scale: Tensor, zp: Tensor | undefined, axis: number): Tensor {
  const qv = toNumbers(q), sv = toNumbers(scale), zv = zp ? toNumbers(zp) : [0];
  const shape = q.shape, ax = axis < 0 ? axis + shape.length : axis;
  const inner = shape.slice(ax + 1).reduce((a, b) => a * b, 1), len = shape[ax] ?? 1;
  const out = new Float32Array(qv.length);
  for (let i = 0; i < qv.length; i++) {
    const c = Math.floor(i / inner) % len;
    out[i] = (qv[i] - zv[zv.length === 1 ? 0 : c]) * sv[sv.length === 1 ? 0 : c];
  }
  return { dtype: 'float32', shape: [...shape], data: out };
}

const soleUser = (v: Value, op: string): Node | undefined => {
  const us = [...v.users];
  return us.length === 1 && us[0].opType === op ? us[0] : undefined;
};

export function dequantize(g: Graph): boolean {
  let changed = false;
  for (const n of [...g.nodes]) {
    const fail = (why: string): never => { throw new Error(`cannot dequantize ${n.opType} '${n.name}': ${why}; use the float32 file (model.onnx) instead`); };
    if (n.opType === 'MatMulInteger' || n.opType === 'ConvInteger') {
      const dql = n.input(0).producer;
      if (dql?.opType !== 'DynamicQuantizeLinear') fail('its input is not produced by DynamicQuantizeLinear');
      const wq = n.input(1).constant ?? fail('its weight is not a constant');
      const cast = soleUser(n.outputs[0], 'Cast') ?? fail('its output does not go through a single Cast');
      const mul = soleUser(cast.outputs[0], 'Mul') ?? fail('the Cast is not followed by a single Mul');
      const scaleV = mul.inputs.find((v) => v !== cast.outputs[0])!;
      const sm = scaleV.producer;
      const ws = scaleV.constant ?? (sm?.opType === 'Mul' ? sm.inputs.find((v) => v !== dql!.outputs[1])?.constant : undefined);
      if (!ws || (sm && !sm.inputs.includes(dql!.outputs[1]))) fail('the weight scale is not a constant times the activation scale');
      const isConv = n.opType === 'ConvInteger';
      const w = dequant(wq, ws!, n.inputs[3]?.constant, isConv ? 0 : -1);
      const y = mul.outputs[0], at = g.nodes.indexOf(mul);
      g.removeNode(mul);
      g.addNode(isConv ? 'Conv' : 'MatMul', [dql!.input(0), g.addInitializer(`${n.input(1).name}_dequantized`, w)], [y], isConv ? { ...n.attrs } : {}, { at });
      changed = true;
    } else if (n.opType === 'DequantizeLinear') {
      const x = n.input(0), axis = n.attrInt('axis', 1);
      if (x.constant) {
        const s = n.input(1).constant ?? fail('its scale is not a constant');
        const y = n.outputs[0];
        g.removeNode(n);
        y.constant = dequant(x.constant, s, n.inputs[2]?.constant, axis); y.dtype = 'float32'; y.shape = [...x.constant.shape];
        changed = true;
      } else if (x.producer?.opType === 'QuantizeLinear') {
        // fake quantization of an activation: keep the float activation
        g.removeNode(n);
        g.replaceAllUses(n.outputs[0], x.producer.input(0));
        changed = true;
      } else fail('its input is neither a constant nor a QuantizeLinear output');
    }
  }
  const left = g.nodes.find((n) => (n.opType === 'QLinearConv' || n.opType === 'QLinearMatMul'));
  if (left) throw new Error(`cannot dequantize ${left.opType} '${left.name}' (a static QOperator model); use the float32 file (model.onnx) instead`);
  if (changed) g.pruneValues();
  return changed;
}
