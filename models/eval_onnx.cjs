#!/usr/bin/env node
// Evaluate an exported starter .onnx on the CIFAR-10 test set with onnxruntime-node,
// and compare its logits on the first 8 test images with the torch reference saved by
// train_starters.py.
//
//   node models/eval_onnx.cjs models/starter-resnet.onnx /tmp/cifar [ref_logits.npy] [--limit N]
//
// <data>/test_x.npy: uint8 (N,32,32,3) HWC, <data>/test_y.npy: int64 (N,), both written by
// train_starters.py. Preprocessing is exactly the starters' recipe: x/255, (x-mean)/std, NCHW.
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

const MEAN = [0.4914, 0.4822, 0.4465];
const STD = [0.2470, 0.2435, 0.2616];

function readNpy(path) {
  const buf = fs.readFileSync(path);
  const major = buf[6];
  const hlen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = (major === 1 ? 10 : 12) + hlen;
  const header = buf.slice(major === 1 ? 10 : 12, start).toString('latin1');
  const descr = /'descr':\s*'([^']+)'/.exec(header)[1];
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header)[1].split(',').filter((s) => s.trim()).map(Number);
  const raw = buf.buffer.slice(buf.byteOffset + start, buf.byteOffset + buf.length);
  let data;
  if (descr === '|u1') data = new Uint8Array(raw);
  else if (descr === '<i8') data = Array.from(new BigInt64Array(raw), Number);
  else if (descr === '<f4') data = new Float32Array(raw);
  else throw new Error('unsupported npy dtype ' + descr);
  return { data, shape };
}

async function main() {
  const args = process.argv.slice(2);
  let limit = Infinity;
  const li = args.indexOf('--limit');
  if (li >= 0) { limit = Number(args[li + 1]); args.splice(li, 2); }
  const [model, dataDir = '/tmp/cifar', refPath] = args;
  const x = readNpy(`${dataDir}/test_x.npy`);
  const y = readNpy(`${dataDir}/test_y.npy`).data;
  const n = Math.min(x.shape[0], limit);
  const sess = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const bs = 250;
  const prep = (idx) => {
    const t = new Float32Array(idx.length * 3 * 32 * 32);
    idx.forEach((i, j) => {
      const src = i * 32 * 32 * 3;
      for (let p = 0; p < 1024; p++) {
        for (let c = 0; c < 3; c++) t[j * 3072 + c * 1024 + p] = (x.data[src + p * 3 + c] / 255 - MEAN[c]) / STD[c];
      }
    });
    return new ort.Tensor('float32', t, [idx.length, 3, 32, 32]);
  };
  let correct = 0;
  const t0 = Date.now();
  // evaluate a class-balanced order when limited: stride through the (class-sorted) test set
  const order = [];
  const stride = limit < x.shape[0] ? Math.floor(x.shape[0] / n) : 1;
  for (let i = 0; i < n; i++) order.push(i * stride);
  for (let b = 0; b < n; b += bs) {
    const m = Math.min(bs, n - b);
    const out = await sess.run({ input: prep(order.slice(b, b + m)) });
    const logits = out.logits.data;
    for (let j = 0; j < m; j++) {
      let best = 0;
      for (let k = 1; k < 10; k++) if (logits[j * 10 + k] > logits[j * 10 + best]) best = k;
      if (best === y[order[b + j]]) correct++;
    }
  }
  const res = { model, n, accuracy: correct / n, seconds: (Date.now() - t0) / 1000 };
  if (refPath && fs.existsSync(refPath)) {
    const ref = readNpy(refPath).data;
    const first = (await sess.run({ input: prep([0, 1, 2, 3, 4, 5, 6, 7]) })).logits.data;
    let maxAbs = 0;
    for (let i = 0; i < 80; i++) maxAbs = Math.max(maxAbs, Math.abs(ref[i] - first[i]));
    res.maxAbsDiffVsTorch = maxAbs;
  }
  console.log(JSON.stringify(res));
}

main().catch((e) => { console.error(e); process.exit(1); });
