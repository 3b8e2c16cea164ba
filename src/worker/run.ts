// One training run inside the worker: the engine's train() over the dataset's ImageSources on the chosen
// Executor, with pause (a gate awaited before every batch), stop (the trainer's shouldStop), live step/epoch
// messages, then a final validation pass for per-class accuracy, the confusion matrix and sample images.
import { BROWSER_BUDGET_BYTES, cappedStepBudget, planBatch, type BatchPlan } from '../engine/budget.ts';
import { formatBytes } from '../engine/memory.ts';
import { backboneInfo, batchFor, compileEval, configBackbone, initParams, type BackboneInfo } from '../engine/compile.ts';
import { validateConfig, type TrainConfig } from '../engine/config.ts';
import type { Executor, Handle } from '../engine/executor.ts';
import { mappingMatrix } from '../engine/mapping.ts';
import { divergenceMessage, runEval, scoreLogits, train, type Checkpoint, type ImageSource } from '../engine/trainer.ts';
import { encodeForSession } from '../onnx/session-model.ts';
import type { Tensor } from '../onnx/tensor.ts';
import type { Dataset } from './dataset.ts';
import type { EvaluationSummary, Response, RunDone, SampleImage, WireCheckpoint, WireTensor } from './protocol.ts';

const SAMPLES = 4;
/** Milliseconds between two loss read-backs (chart points) during training. */
const SHOW_MS = 200;

export function toWire(t: Tensor): WireTensor {
  if (t.data instanceof Int32Array) return { dtype: 'int32', shape: [...t.shape], data: t.data.slice() };
  if (t.data instanceof Float32Array) return { dtype: 'float32', shape: [...t.shape], data: t.data.slice() };
  throw new Error(`tensor of type ${t.dtype} cannot be sent`);
}
export const fromWire = (w: WireTensor): Tensor => ({ dtype: w.dtype, shape: [...w.shape], data: w.data });

export function checkpointToWire(c: Checkpoint): WireCheckpoint {
  return { epoch: c.epoch, step: c.step, rngState: [...c.rngState], tensors: Object.fromEntries(Object.entries(c.tensors).map(([k, t]) => [k, toWire(t)])), mapping: c.mapping && Array.from(c.mapping), epochs: [...c.epochs] };
}
export function checkpointFromWire(w: WireCheckpoint): Checkpoint {
  return { epoch: w.epoch, step: w.step, rngState: [...w.rngState], tensors: Object.fromEntries(Object.entries(w.tensors).map(([k, t]) => [k, fromWire(t)])), mapping: w.mapping && Int32Array.from(w.mapping), epochs: [...w.epochs] };
}

/** Lets queued messages (pause, stop) in: a wasm session.run computes synchronously, so without a real task
 * boundary between batches the worker would never see them. A MessageChannel hop is a task without timer clamping. */
export function yieldToEventLoop(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((r) => setTimeout(r, 0));
  return new Promise((resolve) => {
    const ch = new MessageChannel();
    ch.port1.onmessage = () => { ch.port1.close(); ch.port2.close(); resolve(); };
    ch.port2.postMessage(null);
  });
}

/** Pause/stop switches shared by the handler and a running training. */
export class RunControl {
  private resume: (() => void) | undefined;
  private paused: Promise<void> | undefined;
  stopping = false;
  constructor(readonly runId: string) {}
  pause(): boolean {
    if (this.paused || this.stopping) return false;
    this.paused = new Promise((r) => { this.resume = r; });
    return true;
  }
  unpause(): boolean {
    if (!this.paused) return false;
    this.resume?.();
    this.paused = this.resume = undefined;
    return true;
  }
  stop(): void { this.stopping = true; this.unpause(); }
  readonly gate = async (): Promise<void> => {
    await yieldToEventLoop();
    while (this.paused) await this.paused;
  };
}

export interface RunInput {
  runId: string;
  cfg: TrainConfig;
  backbone: Uint8Array;
  dataset: Dataset;
  executor: Executor;
  init: Record<string, Tensor> | undefined;
  /** Continue an interrupted run from its last end-of-epoch checkpoint. */
  resume?: WireCheckpoint;
  control: RunControl;
  post: (msg: Response, transfer?: Transferable[]) => void;
  /** On a GPU: what one step may use (default BROWSER_BUDGET_BYTES); on wasm the heap's cap decides. */
  budgetBytes?: number;
}

/** A step's memory plan, or undefined where nothing limits it (onnxruntime-node). On a GPU: under the user's budget
 * (default BROWSER_BUDGET_BYTES), every tensor within what one shader may bind on this adapter. On wasm: under what
 * the 4 GiB heap leaves (cappedStepBudget; no setting raises it). The run and the Backbone panel's preview (handler
 * 'memory-plan') both ask here. */
export function planStep(ex: Executor, backbone: Uint8Array, info: BackboneInfo, cfg: TrainConfig, numClasses: number, budgetBytes = BROWSER_BUDGET_BYTES): BatchPlan | undefined {
  const budget = stepBudget(ex, backbone.length, budgetBytes);
  if (budget === undefined) return undefined;
  const p = planBatch(backbone, cfg, numClasses, initParams(cfg, info, numClasses), budget, ex.limits?.maxStorageBufferBindingSize);
  return p.note && !ex.deviceMemory ? { ...p, note: `the wasm heap is capped at ${formatBytes(ex.memoryCapBytes!)}: ${p.note}` } : p;
}

/** What one step may use on this executor: the user's budget on a GPU, the capped heap's share for a backbone of
 * `modelBytes` on wasm, nothing (undefined) where nothing limits it. */
export function stepBudget(ex: Executor, modelBytes: number, userBudget = BROWSER_BUDGET_BYTES): number | undefined {
  if (ex.deviceMemory) return userBudget;
  return ex.memoryCapBytes ? cappedStepBudget(ex.memoryCapBytes, modelBytes) : undefined;
}

export async function runTraining(r: RunInput): Promise<void> {
  const { dataset: ds, executor: ex, post, runId } = r;
  let cfg = r.cfg;
  const info = backboneInfo(r.backbone);
  const L = info.inputSize, classes = ds.folder.classes, C = classes.length;
  validateConfig(cfg, { ...configBackbone(info), inputSize: L }, C);
  const split = ds.split(cfg.valFraction, cfg.seed);
  const trainSrc = ds.source(split.train, L, r.control.gate);
  const valSrc = split.val.length ? ds.source(split.val, L, r.control.gate) : undefined;
  const totalSteps = Math.ceil(trainSrc.size / cfg.batchSize) * cfg.epochs;
  // on a GPU or the capped wasm heap, keep one step under its budget by accumulating gradients over micro-batches
  let note: string | undefined;
  const plan = planStep(ex, r.backbone, info, cfg, C, r.budgetBytes);
  if (plan?.note) { note = plan.note; cfg = { ...cfg, microBatch: plan.microBatch }; }
  post({ type: 'started', runId, totalSteps, trainCount: trainSrc.size, valCount: valSrc?.size ?? 0, backend: ex.backend, note });
  const t0 = performance.now();
  // on a GPU the loss is read back (a sync) about 5 times a second, not every step; host memory reads every step
  let last = 0, lastStep = -1, ema = 0, shown = 0;
  const spe = Math.ceil(trainSrc.size / cfg.batchSize);
  // graph capture: said when the sessions exist, and again if a first run fell back (seen at an epoch's end)
  let toldCapture = '';
  const tellCapture = () => {
    const c = ex.captureStatus?.();
    if (c && c.detail !== toldCapture) { toldCapture = c.detail; post({ type: 'capture', runId, ...c }); }
  };
  const res = await train({
    backbone: r.backbone, cfg, classes, train: trainSrc, val: valSrc, executor: ex, init: r.init, resume: r.resume && checkpointFromWire(r.resume),
    callbacks: {
      wantLoss: ex.deviceMemory ? () => performance.now() - shown >= SHOW_MS : undefined,
      onStep: (m) => {
        const now = performance.now();
        shown = now;
        // images since the last reported step (steps in between were not read back)
        let images = 0;
        for (let s = lastStep + 1; s <= m.step; s++) images += Math.min(cfg.batchSize, trainSrc.size - (s % spe) * cfg.batchSize);
        if (last > 0 && lastStep >= 0) { const ips = (1000 * images) / Math.max(now - last, 1e-3); ema = ema ? 0.7 * ema + 0.3 * ips : ips; }
        last = now; lastStep = m.step;
        post({ type: 'step', runId, metrics: m, imagesPerS: ema, elapsed: (now - t0) / 1000 });
      },
      onEpoch: (m, profile) => { last = 0; lastStep = -1; post({ type: 'epoch', runId, metrics: m, profile }); tellCapture(); },
      onMapping: (mp, epoch) => post({ type: 'mapping', runId, epoch, mapping: Array.from(mp) }),
      onCheckpoint: (c) => {
        const checkpoint = checkpointToWire(c);
        post({ type: 'checkpoint', runId, checkpoint }, Object.values(checkpoint.tensors).map((t) => t.data.buffer));
      },
      shouldStop: () => r.control.stopping,
      onReady: () => {
        tellCapture();
        post({ type: 'state', runId, state: 'running' });
      },
    },
  });
  const seconds = (performance.now() - t0) / 1000;
  post({ type: 'state', runId, state: 'evaluating' });
  // stopped or diverged before a single epoch completed (e.g. while compiling): nothing was trained, nothing to evaluate
  const untrained = (r.control.stopping || !!res.diverged) && res.epochs.length === 0;
  const evaluation = valSrc && !untrained ? await evaluate(r, res.params, res.mapping, valSrc, L, C, info.numSourceClasses) : undefined;
  const samples = untrained ? [] : await samplesOf(ds, valSrc ? split.val : split.train, L);
  const params: Record<string, WireTensor> = {};
  for (const [k, t] of Object.entries(res.params)) params[k] = toWire(t);
  const result: RunDone = {
    runId, stopped: r.control.stopping, ...(res.diverged ? { diverged: divergenceMessage(res.diverged, cfg.epochs) } : {}), params, mapping: res.mapping && Array.from(res.mapping), epochs: res.epochs, evaluation, samples,
    backend: res.backend, seconds, trainCount: trainSrc.size, valCount: valSrc?.size ?? 0, skipped: ds.folder.skipped,
  };
  const transfer: Transferable[] = [...Object.values(params).map((p) => p.data.buffer), ...samples.map((s) => s.data.buffer)];
  post({ type: 'done', result }, transfer);
}

/** The first few images of a split at the backbone's size. */
/** The first images of a split, one per class first (the "image → image + prompt" pictures then show different
 * classes), then the rest in order. */
export async function samplesOf(ds: Dataset, indices: number[], L: number): Promise<SampleImage[]> {
  const samples: SampleImage[] = [];
  const seen = new Set<number>(), firsts: number[] = [], rest: number[] = [];
  for (const i of indices) {
    const label = ds.folder.items[i].label;
    (seen.has(label) ? rest : firsts).push(i);
    seen.add(label);
  }
  for (const i of [...firsts, ...rest].slice(0, SAMPLES)) {
    const it = ds.folder.items[i];
    samples.push({ path: it.path, label: it.label, size: L, data: (await ds.image(it.file, L)).data.slice() });
  }
  return samples;
}

export async function evaluate(r: Pick<RunInput, 'executor' | 'backbone' | 'cfg'>, params: Record<string, Tensor>, mapping: Int32Array | undefined, src: ImageSource & { paths: string[] }, L: number, C: number, numSource: number | undefined): Promise<EvaluationSummary> {
  const ex = r.executor;
  const ev = compileEval(r.backbone, r.cfg, C, batchFor(backboneInfo(r.backbone), r.cfg.batchSize), params);
  const s = await ex.createSession(encodeForSession(ev.graph));
  try {
    const feeds: Record<string, Handle> = {};
    for (const k of ev.io.params) feeds[k] = ex.upload(params[k]);
    if (ev.io.mapping && mapping && numSource) feeds.mapping = ex.upload({ dtype: 'float32', shape: [numSource, C], data: mappingMatrix(mapping, numSource) });
    const out = await runEval(ex, s, ev, src, L, feeds, C);
    const sc = scoreLogits(out.logits, src.labels, C);
    return { accuracy: sc.accuracy, loss: sc.loss, perClass: sc.perClass, confusion: sc.confusion, paths: src.paths, labels: Array.from(sc.labels), predictions: Array.from(sc.predictions) };
  } finally {
    await s.release();
  }
}
