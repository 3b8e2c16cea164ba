// One training-step benchmark behind an Executor, shared by `npm run bench` (onnxruntime-node) and the studio
// worker (WebGPU / wasm): compiles the train step the trainer would run, creates its session, then runs it on
// random images with parameters and optimiser state fed back as device handles — timing compilation, session
// creation and every step (each step ends with its loss read back, i.e. a device sync), plus a pipelined run
// that reads back only once at the end (what the trainer does between two shown losses).
import type { SessionModel } from '../onnx/external.ts';
import { encodeForSession } from '../onnx/session-model.ts';
import type { Tensor } from '../onnx/tensor.ts';
import { backboneInfo, compileTrainStep, deviceOutputs, initParams, optimSettings } from './compile.ts';
import type { TrainConfig } from './config.ts';
import type { Executor, Handle } from './executor.ts';
import { Rng } from './init.ts';
import { estimateMemory } from './memory.ts';
import { hyperValues } from './optim.ts';
import { uploadTrainState } from './trainer.ts';

export interface StepBenchOptions {
  backbone: Uint8Array;
  cfg: TrainConfig;
  numClasses: number;
  executor: Executor;
  /** Untimed steps first (session warm-up, allocator growth). */
  warmup: number;
  /** Timed steps, each synchronised by reading its loss back. */
  steps: number;
  /** Steps of the pipelined run (loss read once at the end); 0 skips it. */
  pipelined?: number;
  now?: () => number;
  /** The process's resident bytes now (Node: process.memoryUsage().rss), read after the timed steps. */
  rss?: () => number;
}

export interface StepBenchResult {
  backend: string;
  batch: number;
  trainable: number;
  compileMs: number;
  sessionMs: number;
  stepMs: number[];
  medianMs: number;
  imagesPerS: number;
  pipelinedMs: number | undefined;
  firstLoss: number;
  lastLoss: number;
  /** Static estimate of the step's peak memory (src/engine/memory.ts). */
  estimatedPeakBytes: number;
  largestTensorBytes: number;
  /** Resident bytes right after the timed steps (the training loop's footprint), when `rss` was given. */
  stepRssBytes?: number;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

export async function benchStep(o: StepBenchOptions): Promise<StepBenchResult> {
  const now = o.now ?? (() => performance.now());
  const { cfg, executor: ex } = o;
  const B = cfg.batchSize, C = o.numClasses;
  let t0 = now();
  const info = backboneInfo(o.backbone);
  const L = info.inputSize;
  const params = initParams(cfg, info, C);
  // the compiled graph and its bytes hold a copy of the backbone's weights each: the graph is dropped once encoded
  // and the bytes once the session holds the weights, so the steps run beside one copy (the session's), not three
  const { mem, io, inputs, keepOnDevice, take } = (() => {
    const step = compileTrainStep(o.backbone, cfg, C, B, params);
    let bytes: SessionModel | undefined = encodeForSession(step.graph);
    /** The bytes, once: the caller's session is then their only holder. */
    const take = (): SessionModel => { const b = bytes!; bytes = undefined; return b; };
    return { mem: estimateMemory(step.graph), keepOnDevice: deviceOutputs(step), io: step.io, inputs: new Set(step.graph.inputs.map((v) => v.name)), take };
  })();
  const compileMs = now() - t0;
  t0 = now();
  const s = await ex.createSession(take(), { keepOnDevice });
  const sessionMs = now() - t0;
  const rng = new Rng(cfg.seed + 7);
  const images = new Float32Array(B * 3 * L * L);
  for (let i = 0; i < images.length; i++) images[i] = rng.next();
  const labels = Int32Array.from({ length: B }, () => Math.floor(rng.next() * C));
  const opt = optimSettings(cfg);
  const handles = uploadTrainState(ex, params, opt);
  const scalar = (x: number): Tensor => ({ dtype: 'float32', shape: [], data: Float32Array.of(x) });
  let metrics = ex.upload({ dtype: 'float32', shape: [2], data: new Float32Array(2) });
  let t = 0;
  /** One step; returns the loss handle (not read). */
  const one = async (): Promise<Handle> => {
    const hv = hyperValues(opt, cfg.lr, ++t);
    const feeds: Record<string, Handle> = {
      images: ex.upload({ dtype: 'float32', shape: [B, 3, L, L], data: images }),
      labels: ex.upload({ dtype: 'int32', shape: [B], data: labels }),
      weights: ex.upload({ dtype: 'float32', shape: [B], data: new Float32Array(B).fill(1 / B) }),
      metrics, 'hp.lr': ex.upload(scalar(hv.lr)), 'hp.step_size': ex.upload(scalar(hv.stepSize)), 'hp.sqrt_bc2': ex.upload(scalar(hv.sqrtBc2)),
    };
    for (const k of [...io.params, ...io.states]) feeds[k] = handles[k];
    for (const name of Object.keys(feeds)) if (!inputs.has(name)) delete feeds[name];
    const out = await s.run(feeds);
    for (const [pn, on] of Object.entries({ ...io.newParams, ...io.newStates })) { ex.dispose(handles[pn]); handles[pn] = out[on]; }
    ex.dispose(metrics);
    metrics = out[io.newMetrics!];
    return out[io.loss!];
  };
  const read = async (h: Handle): Promise<number> => { const v = ((await ex.download(h)).data as Float32Array)[0]; ex.dispose(h); return v; };
  let firstLoss = NaN, lastLoss = NaN;
  for (let i = 0; i < o.warmup; i++) { const l = await read(await one()); if (i === 0) firstLoss = l; }
  const stepMs: number[] = [];
  for (let i = 0; i < o.steps; i++) {
    const a = now();
    lastLoss = await read(await one());
    stepMs.push(now() - a);
    if (Number.isNaN(firstLoss)) firstLoss = lastLoss;
  }
  const stepRssBytes = o.rss?.();
  let pipelinedMs: number | undefined;
  if (o.pipelined) {
    const a = now();
    let h: Handle | undefined;
    for (let i = 0; i < o.pipelined; i++) { if (h) ex.dispose(h); h = await one(); }
    lastLoss = await read(h!);
    pipelinedMs = (now() - a) / o.pipelined;
  }
  // device outputs belong to the session that made them: free them before releasing it
  for (const h of [...Object.values(handles), metrics]) ex.dispose(h);
  await s.release();
  const medianMs = median(stepMs);
  return {
    backend: ex.backend, batch: B, trainable: Object.values(params).reduce((a, p) => a + p.data.length, 0), compileMs, sessionMs, stepMs, medianMs,
    imagesPerS: (1000 * B) / medianMs, pipelinedMs, firstLoss, lastLoss, estimatedPeakBytes: mem.peakBytes, largestTensorBytes: mem.largestTensorBytes, stepRssBytes,
  };
}
