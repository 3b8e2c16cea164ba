// `vp-studio grad MODEL.onnx --input X.npy --cotangent C.npy --out G.npy`: the VJP of the model's first output
// with respect to its first input, written as float32 .npy with the input's shape.
import { writeFileSync } from 'node:fs';
import { buildVjpGraph, fixedBatch } from '../engine/vjp.ts';
import { loadModel } from '../onnx/load.ts';
import { readNpy, writeNpy } from '../io/npy.ts';
import type { HostTensor } from '../io/types.ts';
import { createSession, runSession } from '../runtime/ort-node.ts';
import { readBackbone } from './model.ts';
import { CliError, readFileOrFail } from './util.ts';

function readFloatNpy(path: string, what: string): HostTensor {
  let t: HostTensor;
  try {
    t = readNpy(readFileOrFail(path, what));
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(`${what} ${path}: ${(e as Error).message}`);
  }
  if (t.dtype !== 'float32') throw new CliError(`${what} ${path} has dtype ${t.dtype}; float32 expected`);
  return t;
}

export async function gradCommand(modelPath: string, opts: { input: string; cotangent: string; out: string }): Promise<void> {
  const x = readFloatNpy(opts.input, '--input');
  // the input size comes from --input; the file's own outputs are kept (a feature extractor's first output)
  let bb = await readBackbone(modelPath, { keepOutputs: true });
  if (!bb.inputSize.fixed && x.shape.length === 4 && x.shape[2] !== bb.inputSize.size) bb = await readBackbone(modelPath, { inputSize: String(x.shape[2]), keepOutputs: true });
  const bytes = bb.bytes;
  const c = readFloatNpy(opts.cotangent, '--cotangent');
  if (x.shape.length !== 4) throw new CliError(`--input ${opts.input} has shape [${x.shape}]; an NCHW batch (rank 4) expected`);
  const n = x.shape[0];
  if (c.shape[0] !== n) throw new CliError(`--cotangent ${opts.cotangent} has batch ${c.shape[0]} but --input has ${n}`);
  const fixed = fixedBatch(bytes);
  const chunk = fixed ?? n;
  const fwd = loadModel(bytes, { batch: chunk });
  const want = fwd.inputs[0].dims.slice(1), got = x.shape.slice(1);
  if (want.length !== got.length || want.some((d, i) => d !== got[i])) throw new CliError(`--input ${opts.input} has shape [${x.shape}]; the model's input '${fwd.inputs[0].name}' needs [N,${want}]`);
  const cwant = fwd.outputs[0].dims.slice(1), cgot = c.shape.slice(1);
  if (cwant.length !== cgot.length || cwant.some((d, i) => d !== cgot[i])) throw new CliError(`--cotangent ${opts.cotangent} has shape [${c.shape}]; the model's output '${fwd.outputs[0].name}' needs [N,${cwant}]`);
  const g = buildVjpGraph(bytes, chunk);
  const [xin, cin] = g.inputs;
  const xs = x.data as Float32Array, cs = c.data as Float32Array;
  const xPer = xs.length / n, cPer = cs.length / n;
  const out = new Float32Array(xs.length);
  const session = await createSession(g);
  try {
    for (let start = 0; start < n; start += chunk) {
      const m = Math.min(chunk, n - start);
      const xb = new Float32Array(chunk * xPer), cb = new Float32Array(chunk * cPer);
      xb.set(xs.subarray(start * xPer, (start + m) * xPer));
      cb.set(cs.subarray(start * cPer, (start + m) * cPer));
      const res = await runSession(session, {
        [xin.name]: { dtype: 'float32', shape: [chunk, ...want], data: xb },
        [cin.name]: { dtype: 'float32', shape: [chunk, ...cwant], data: cb },
      });
      out.set((res[g.outputs[0].name].data as Float32Array).subarray(0, m * xPer), start * xPer);
    }
  } finally {
    await session.release();
  }
  writeFileSync(opts.out, writeNpy({ dtype: 'float32', shape: x.shape, data: out }));
}
