// Pass: upcast a float16 model to float32. transformers.js ships `model_fp16.onnx` files made by
// onnxconverter-common's convert_float_to_float16(keep_io_types=True): float16 weights and activations, with
// Cast(to=FLOAT16) after each float32 graph input and Cast(to=FLOAT) before each float32 graph output. Training
// runs in float32 (prompt gradients of ~1e-4 vanish in half precision), so every float16 initializer is widened
// exactly (each half is a float), every Cast/CastLike to float16 casts to float32 instead, float16 attribute
// tensors (ConstantOfShape's value) are widened, and every value typed float16 is retyped float32. A Cast that
// now maps float32 to float32 is left in place (it is the identity; the head finder looks through it).
// Invariants after: no float16 initializer, attribute tensor, Cast target or value dtype remains; node and value
// names are unchanged; the function the graph computes is the float16 model's with float32 arithmetic.
// Returns whether anything changed.
import type { Graph } from '../ir.ts';
import { float16ToFloat32, ONNX_DTYPE } from '../tensor.ts';

export function upcastFloat16(g: Graph): boolean {
  let changed = false;
  for (const v of g.values.values()) {
    if (v.constant?.dtype === 'float16') { v.constant = float16ToFloat32(v.constant); changed = true; }
    if (v.dtype === 'float16') { v.dtype = 'float32'; changed = true; }
  }
  for (const n of g.nodes) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
    if (n.opType === 'Cast' && n.attrs.to?.type === 'int' && n.attrs.to.value === ONNX_DTYPE.float16) {
      n.attrs.to = { type: 'int', value: ONNX_DTYPE.float32 };
      changed = true;
    }
    for (const [k, a] of Object.entries(n.attrs)) {
      if (a.type === 'tensor' && a.value.dtype === 'float16') { n.attrs[k] = { type: 'tensor', value: float16ToFloat32(a.value) }; changed = true; }
    }
  }
  return changed;
}

/** Whether the graph holds float16 weights or values (a `model_fp16.onnx`). */
export const hasFloat16 = (g: Graph): boolean => [...g.values.values()].some((v) => v.dtype === 'float16' || v.constant?.dtype === 'float16');
