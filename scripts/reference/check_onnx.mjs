// Runs an exported backbone with onnxruntime-node and compares its logits with
// the PyTorch logits make_fixtures.py computed for the same images. Used only
// by scripts/reference/make_fixtures.py (no project code is imported).
//
//   node scripts/reference/check_onnx.mjs model.onnx input.f32 N,3,L,L expected.f32
// prints {"max_abs": ..., "shape": [...]} on stdout.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const ort = require('onnxruntime-node');

const [model, inputPath, shapeStr, expectedPath] = process.argv.slice(2);
const shape = shapeStr.split(',').map(Number);
const f32 = (p) => {
  const b = readFileSync(p);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
};
const session = await ort.InferenceSession.create(model);
const out = await session.run({ input: new ort.Tensor('float32', f32(inputPath), shape) });
const logits = out.logits;
const exp = f32(expectedPath);
let maxAbs = 0;
for (let i = 0; i < exp.length; i++) maxAbs = Math.max(maxAbs, Math.abs(exp[i] - logits.data[i]));
if (exp.length !== logits.data.length) maxAbs = Infinity;
console.log(JSON.stringify({ max_abs: maxAbs, shape: logits.dims }));
