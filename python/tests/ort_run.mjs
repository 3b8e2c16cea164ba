// Runs an ONNX model in onnxruntime-node on float32 images: node ort_run.mjs MODEL IN.f32 OUT.f32 N L.
// A model with a fixed batch of 1 (the studio's model.onnx) runs image by image.
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
const require = createRequire(new URL('../../package.json', import.meta.url));
const ort = require('onnxruntime-node');
const [model, inp, out, n, L] = process.argv.slice(2);
const N = Number(n), S = Number(L), per = 3 * S * S;
const x = new Float32Array(readFileSync(inp).buffer.slice(0));
const s = await ort.InferenceSession.create(model);
const dim0 = s.inputMetadata?.[0]?.shape?.[0];
const step = typeof dim0 === 'number' ? dim0 : N;
const parts = [];
for (let i = 0; i < N; i += step) {
  const feeds = { [s.inputNames[0]]: new ort.Tensor('float32', x.slice(i * per, (i + step) * per), [step, 3, S, S]) };
  parts.push((await s.run(feeds))[s.outputNames[0]].data);
}
const all = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
let at = 0;
for (const p of parts) { all.set(p, at); at += p.length; }
writeFileSync(out, Buffer.from(all.buffer));
