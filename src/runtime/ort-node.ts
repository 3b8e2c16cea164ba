// onnxruntime-node adapter: run a Graph (or ONNX bytes) on host tensors. The only place in Node that imports
// onnxruntime-node; the CLI, tests and benchmarks go through here.
import * as ort from 'onnxruntime-node';
import type { ExecSession, Handle } from '../engine/executor.ts';
import { isSplit, modelBytes, withKeptData, type SessionModel } from '../onnx/external.ts';
import type { Graph } from '../onnx/ir.ts';
import { encodeForSession } from '../onnx/session-model.ts';
import type { Tensor, TypedArray } from '../onnx/tensor.ts';

export type Feeds = Record<string, Tensor>;

/** The executors' handles are the ort.Tensors themselves. */
export const wrap = (t: ort.Tensor) => t as unknown as Handle;
export const unwrap = (h: Handle) => h as unknown as ort.Tensor;

/** An Executor session over an onnxruntime-node session: handles in, handles out. */
export function execSession(s: ort.InferenceSession): ExecSession {
  return {
    async run(feeds) {
      const f: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) f[k] = unwrap(v);
      const out = await s.run(f);
      const r: Record<string, Handle> = {};
      for (const [k, v] of Object.entries(out)) r[k] = wrap(v);
      return r;
    },
    release: () => s.release(),
  };
}

/** onnxruntime's log: everything (node placement, graph optimisations) when verbose, else errors only. */
export const ortLog = (verbose: boolean | undefined) => (verbose ? { logSeverityLevel: 0, logVerbosityLevel: 0 } as const : { logSeverityLevel: 3 } as const);

export function toOrt(t: Tensor): ort.Tensor {
  if (t.dtype === 'string') return new ort.Tensor('string', t.data as string[], t.shape);
  return new ort.Tensor(t.dtype as 'float32', t.data as Float32Array, t.shape);
}

export function fromOrt(t: ort.Tensor): Tensor {
  return { dtype: t.type as Tensor['dtype'], shape: [...t.dims], data: t.data as TypedArray };
}

export interface NodeSessionOptions {
  threads?: number; optimization?: 'disabled' | 'basic' | 'extended' | 'all';
  /** A session run once (the load check): no prepacked copies of the weights, no memory arena kept. */
  oneShot?: boolean;
}

/** The `externalData` session option of a split model (none for one protobuf). */
export const externalDataOption = (m: SessionModel): { externalData?: { path: string; data: Uint8Array }[] } =>
  (isSplit(m) ? { externalData: m.externalData } : {});

/** A session over a graph (split when large: onnx/session-model.ts), ONNX bytes, or a split model. */
export async function createSession(model: Graph | SessionModel, opts: NodeSessionOptions = {}): Promise<ort.InferenceSession> {
  const m = withKeptData(model instanceof Uint8Array || 'externalData' in model ? model : encodeForSession(model));
  return ort.InferenceSession.create(modelBytes(m), {
    graphOptimizationLevel: opts.optimization ?? 'all',
    intraOpNumThreads: opts.threads ?? 0,
    logSeverityLevel: 3,
    ...(opts.oneShot ? { enableCpuMemArena: false, extra: { session: { disable_prepacking: '1' } } } : {}),
    ...externalDataOption(m),
  });
}

export async function runSession(s: ort.InferenceSession, feeds: Feeds, outputs?: string[]): Promise<Record<string, Tensor>> {
  const f: Record<string, ort.Tensor> = {};
  for (const [k, v] of Object.entries(feeds)) f[k] = toOrt(v);
  const res = await s.run(f, outputs ?? s.outputNames);
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(res)) out[k] = fromOrt(v);
  return out;
}

/** Creates a session, runs once, releases it. */
export async function runGraph(model: Graph | SessionModel, feeds: Feeds, opts: NodeSessionOptions = {}): Promise<Record<string, Tensor>> {
  const s = await createSession(model, opts);
  try {
    return await runSession(s, feeds);
  } finally {
    await s.release();
  }
}
