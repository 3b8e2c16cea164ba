// The load check: the backbone the engine compiles (the loaded file after onnx/backbone.ts, prepared as a step
// graph prepares it — shapes inferred, constants folded on the host, re-batched) must compute what the user's file
// computes. Both are run by onnxruntime on the same seeded random batch and their outputs compared (for a feature
// extractor: the features against the file output and token they were taken from). Within the load's tolerance
// (float32 rounding; wider where loading changed the arithmetic on purpose: fp16 upcast, dequantization) the
// agreement becomes a line of "what loading did"; beyond it the model is refused, naming the first node whose
// output differs — a pass that ignored an attribute cannot train a different model silently. A file with external
// data runs with its data files (onnxruntime's `externalData`); graphs too large for one protobuf run split.
import { decodeModel } from '../onnx/codec.ts';
import { filesResolver, type ExternalFile, type SessionModel } from '../onnx/external.ts';
import type { LoadTolerance } from '../onnx/backbone.ts';
import type { Graph, Value } from '../onnx/ir.ts';
import { prepareGraph } from '../onnx/load.ts';
import { FEATURES_REF_KEY } from '../onnx/passes/feature-output.ts';
import { LAYOUT_KEY } from '../onnx/passes/nhwc-input.ts';
import { encodeForSession } from '../onnx/session-model.ts';
import type { Tensor } from '../onnx/tensor.ts';
import type { Executor } from './executor.ts';

/** Runs an ONNX model (bytes, or bytes with data files) on host tensors; returns every graph output. */
export type RunModel = (model: SessionModel, feeds: Record<string, Tensor>) => Promise<Record<string, Tensor>>;
export interface LoadCheck { relError: number; tolerance: LoadTolerance; batch: number; note: string }

const fmt = (x: number) => (x === 0 ? '0' : x.toExponential(1));

/** Seeded values with an image-like spread (a normalised image is roughly in [−2, 2.5]). */
function randomBatch(shape: number[], seed = 12345): Tensor {
  const n = shape.reduce((a, b) => a * b, 1), data = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) { s = (Math.imul(s, 1664525) + 1013904223) >>> 0; data[i] = (s / 2 ** 32) * 4 - 2; }
  return { dtype: 'float32', shape, data };
}

function relError(got: Float32Array, want: Float32Array): number {
  let d = 0, m = 0;
  for (let i = 0; i < want.length; i++) {
    const e = Math.abs(got[i] - want[i]);
    d = Number.isNaN(e) ? Infinity : Math.max(d, e);
    m = Math.max(m, Math.abs(want[i]));
  }
  return d / (m || 1);
}

interface Ref { output: string; token?: number }
/** Where the loaded output's values are in the file: our own metadata (feature-output.ts writes it), read as a
 * stranger's — a file may carry any text under that key. */
function refOf(loaded: Graph): Ref {
  const text = loaded.metadata[FEATURES_REF_KEY];
  if (text === undefined) return { output: loaded.outputs[0].name };
  let r: unknown;
  try { r = JSON.parse(text); } catch { r = undefined; }
  const o = r as Partial<Ref> | undefined;
  if (!o || typeof o !== 'object' || typeof o.output !== 'string' || (o.token !== undefined && !(Number.isInteger(o.token) && o.token >= 0))) {
    throw new Error(`model metadata '${FEATURES_REF_KEY}' must be {"output": name, "token"?: index}, got ${JSON.stringify(text.slice(0, 40))}`);
  }
  return { output: o.output, ...(o.token !== undefined ? { token: o.token } : {}) };
}

/** The file to run: as it is, or with the value the features were taken from (an embedding model's projection
 * input) made an output. */
function fileToRun(file: SessionModel, g: Graph, ref: Ref): SessionModel {
  if (g.outputs.some((o) => o.name === ref.output)) return file;
  const v = g.values.get(ref.output);
  if (!v?.producer) throw new Error(`load check: the file has no value '${ref.output}'`);
  v.dtype = 'float32';
  g.outputs = [...g.outputs, v];
  return encodeForSession(g);
}

/** The part of the file's outputs the loaded output stands for. */
function reference(ref: Ref, outs: Record<string, Tensor>): { name: string; data: Float32Array } {
  const t = outs[ref.output];
  if (!t) throw new Error(`load check: the file has no output '${ref.output}'`);
  const data = t.data as Float32Array;
  if (ref.token === undefined) return { name: ref.output, data };
  const [n, T, D] = t.shape, out = new Float32Array(n * D);
  for (let b = 0; b < n; b++) out.set(data.subarray((b * T + ref.token) * D, (b * T + ref.token + 1) * D), b * D);
  return { name: `${ref.output}[:, ${ref.token}]`, data: out };
}

/** [N, C, H, W] → [N, H, W, C]: the batch as a channels-last file takes it. */
function toNhwc(t: Tensor): Tensor {
  const [n, c, h, w] = t.shape, src = t.data as Float32Array, out = new Float32Array(src.length);
  for (let b = 0; b < n; b++) for (let k = 0; k < c; k++) for (let i = 0; i < h * w; i++) out[(b * h * w + i) * c + k] = src[(b * c + k) * h * w + i];
  return { dtype: 'float32', shape: [n, h, w, c], data: out };
}

/** The first value (in the compiled graph's order) that both graphs compute under the same name and that differs. */
async function firstDifference(file: Graph, prepared: Graph, x: Tensor, xFile: Tensor, run: RunModel, tol: number): Promise<string | undefined> {
  const fileValues = new Map<string, Value>();
  for (const n of file.nodes) for (const o of n.outputs) fileValues.set(o.name, o);
  const common = prepared.nodes.flatMap((n) => n.outputs).filter((o) => o.dtype === 'float32' && fileValues.get(o.name)?.producer);
  if (!common.length) return undefined;
  for (const o of common) { const f = fileValues.get(o.name)!; f.dtype = 'float32'; }
  file.outputs = common.map((o) => fileValues.get(o.name)!);
  prepared.outputs = common;
  const [a, b] = [await run(encodeForSession(file), { [file.inputs[0].name]: xFile }), await run(encodeForSession(prepared), { [prepared.inputs[0].name]: x })];
  for (const o of common) {
    const p = a[o.name], q = b[o.name];
    if (p && q && p.data.length === q.data.length && relError(q.data as Float32Array, p.data as Float32Array) > tol) return `${o.producer!.opType} '${o.producer!.name}' (output '${o.name}')`;
  }
  return undefined;
}

/**
 * Runs the file and the loaded backbone on one random batch; returns the agreement, or throws one line when they
 * differ beyond `tolerance`. `batch`: the loaded model's fixed batch, else 2. `external`: the file's data files.
 */
export async function checkLoad(file: Uint8Array, loaded: Uint8Array, tolerance: LoadTolerance, run: RunModel, external: ExternalFile[] = []): Promise<LoadCheck> {
  // Each decoded graph holds a copy of the weights: only the bytes handed to onnxruntime stay alive while it runs
  // (a ViT-L's 1.2 GB would otherwise be held three times over beside each session).
  const resolver = external.length ? filesResolver(external) : undefined;
  const fileModel: SessionModel = external.length ? { model: file, externalData: external } : file;
  const { batch, x, xFile, ref, prepared, inName, outName } = (() => {
    const lg = decodeModel(loaded), shape = lg.inputs[0].shape!;
    const batch = typeof shape[0] === 'number' ? shape[0] : 2;
    const g = prepareGraph(lg, { batch });
    const x = randomBatch(g.inputs[0].dims);
    return { batch, x, xFile: lg.metadata[LAYOUT_KEY] === 'NHWC' ? toNhwc(x) : x, ref: refOf(lg), prepared: encodeForSession(g), inName: g.inputs[0].name, outName: g.outputs[0].name };
  })();
  const { toRun, fileInput } = (() => {
    const fg = decodeModel(file, { external: resolver });
    // fileToRun may add an output (an embedding model's projection input); firstDifference decodes the file anew
    return { toRun: fileToRun(fileModel, fg, ref), fileInput: fg.inputs[0].name };
  })();
  const want = reference(ref, await run(toRun, { [fileInput]: xFile }));
  const got = (await run(prepared, { [inName]: x }))[outName];
  if (!got || got.data.length !== want.data.length) throw new Error(`the loaded model's output [${got?.shape}] does not match the file's '${want.name}' (${want.data.length} values)`);
  const e = relError(got.data as Float32Array, want.data);
  if (!(e <= tolerance.rel)) {
    const at = await firstDifference(decodeModel(file, { external: resolver }), prepareGraph(decodeModel(loaded), { batch }), x, xFile, run, tolerance.rel).catch(() => undefined);
    throw new Error(`the loaded model does not compute what the file computes: '${want.name}' differs by ${fmt(e)} (max rel. error; allowed ${fmt(tolerance.rel)}, ${tolerance.why})${at ? `; first at ${at}` : ''}`);
  }
  return { relError: e, tolerance, batch, note: `checked against the file on a random batch of ${batch}: max rel. error ${fmt(e)} (allowed ${fmt(tolerance.rel)}: ${tolerance.why})` };
}

/** A RunModel over an Executor's CPU sessions (the studio's worker: wasm beside its WebGPU steps). */
export function executorRunner(ex: Executor): RunModel {
  return async (model, feeds) => {
    const s = await ex.createSession(model, { host: true });
    const handles = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, ex.upload(v)]));
    try {
      const out = await s.run(handles);
      const res: Record<string, Tensor> = {};
      for (const [k, h] of Object.entries(out)) { res[k] = await ex.download(h); ex.dispose(h); }
      return res;
    } finally {
      for (const h of Object.values(handles)) ex.dispose(h);
      await s.release();
    }
  };
}
