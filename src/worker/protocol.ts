// The typed message protocol between the studio's main thread and its training worker (types and one guard). Both
// directions are discriminated unions on `type`, so neither end casts; requests that expect one answer carry an
// `id` echoed by the reply. Large buffers (backbone bytes, tensors, images) travel as transferables.
import type { StepBenchResult } from '../engine/bench.ts';
import type { BackboneInfo } from '../engine/compile.ts';
import type { TrainConfig } from '../engine/config.ts';
import type { GpuLimits } from '../engine/executor.ts';
import type { EpochMetrics, EpochProfile, StepMetrics } from '../engine/trainer.ts';
import type { Fault } from './fault.ts';

export type BackendChoice = 'auto' | 'webgpu' | 'wasm';

/** A named float32/int32 tensor as it crosses the worker boundary. */
export interface WireTensor { dtype: 'float32' | 'int32'; shape: number[]; data: Float32Array | Int32Array }

/** A data file of a model with external data (model.onnx_data …), by the location the model names it with. */
export interface WireDataFile { path: string; data: ArrayBuffer }

/** A dropped file (or, with `emptyDir`, an empty folder: its path, so an empty class folder can be reported). */
export interface DataFile { path: string; blob: Blob; emptyDir?: boolean }

/** The engine's end-of-epoch Checkpoint (tensors + optimiser state, rng, counters) as it crosses the boundary. */
export interface WireCheckpoint { epoch: number; step: number; rngState: number[]; tensors: Record<string, WireTensor>; mapping: number[] | undefined; epochs: EpochMetrics[] }

export interface SkippedFile { path: string; reason: string }

export interface DatasetSummary {
  /** Class names in index order (code-point sorted, as the CLI). */
  classes: string[];
  layout: 'folders' | 'splits';
  /** Images per class: train (or all, in the folders layout) and a given validation split. */
  counts: { train: number[]; val: number[] };
  /** A few small PNG thumbnails per class. */
  thumbnails: Blob[][];
  skipped: SkippedFile[];
  warnings: string[];
  total: number;
}

export interface ParamPlan { shapes: Record<string, number[]>; trainable: number; error: string | undefined }

/** On a GPU: how a step of the current settings will run — the whole batch or micro-batches of `microBatch` — its
 * estimated peak and largest tensor, why (`note`), or why it cannot (`error`). */
export interface MemoryPlan { batch: number; microBatch: number; peakBytes: number; largestTensorBytes: number; budgetBytes: number; note?: string; error?: string }

export interface EvaluationSummary {
  accuracy: number;
  loss: number;
  perClass: number[];
  confusion: number[][];
  /** Per validation image: its file path, true label and predicted class. */
  paths: string[];
  labels: number[];
  predictions: number[];
}

/** A validation image at the backbone's size (NCHW [3, L, L] in [0,1]) for "what the prompt does" pictures. */
export interface SampleImage { path: string; label: number; size: number; data: Float32Array }

export interface RunDone {
  runId: string;
  stopped: boolean;
  /** Set when the loss became non-finite: the one-line explanation; params are the last finite epoch's. */
  diverged?: string;
  params: Record<string, WireTensor>;
  mapping: number[] | undefined;
  epochs: EpochMetrics[];
  evaluation: EvaluationSummary | undefined;
  samples: SampleImage[];
  backend: string;
  seconds: number;
  trainCount: number;
  valCount: number;
  skipped: SkippedFile[];
}

/** What the browser tells about memory after a benchmark (MiB): the JS heap (`performance.memory`, page or worker),
 * the wasm heap of onnxruntime-web (linear memory only grows: its peak over the worker's life so far), and
 * `performance.measureUserAgentSpecificMemory()` (the page with its workers; cross-origin isolated pages only). */
export interface BenchMemory { jsHeapMb?: number; wasmMb?: number; uaMemoryMb?: number }

export type BenchResult = StepBenchResult & { memory?: BenchMemory };

/** How the runtime starts: onnxruntime's verbose log; `threads`, wasm threads instead of the default (all cores, at
 * most 4); `build`, the onnxruntime-web build; `capture`, graph-captured WebGPU steps ('on', the default; 'off'; 'buffers': captured.ts's fixed buffers without onnxruntime's capture). */
export interface RuntimeOptions { verbose: boolean; threads?: number; build?: 'plain' | 'jspi' | 'asyncify'; capture?: 'on' | 'off' | 'buffers'; fault?: Fault }

export type Request =
  | { type: 'init'; id: number; backend: BackendChoice; options: RuntimeOptions }
  /** `inputSize`: the user's L for a backbone whose graph leaves it free; `preprocessorSize`: L from the model's
   * preprocessor_config.json (onnx/backbone.ts picks: inputSize, the graph's own, preprocessorSize, 224);
   * `externalData`: the data files a model with external data keeps its weights in. */
  | { type: 'backbone'; id: number; name: string; bytes: ArrayBuffer; externalData?: WireDataFile[]; inputSize?: number; preprocessorSize?: number }
  /** Re-load the current backbone at another input size L (answered by a 'backbone' response). */
  | { type: 'backbone-size'; id: number; inputSize: number }
  | { type: 'data'; id: number; files: DataFile[] }
  | { type: 'plan'; id: number; cfg: TrainConfig; numClasses: number }
  /** The step's memory plan on this GPU under `budgetMiB` (answered with `plan` undefined off a GPU). */
  | { type: 'memory-plan'; id: number; cfg: TrainConfig; numClasses: number; budgetMiB: number }
  /** `budgetMiB`: on WebGPU, what one step may use (default 2 GiB); the step is micro-batched to stay under it. */
  | { type: 'train'; runId: string; cfg: TrainConfig; init: Record<string, WireTensor> | undefined; resume: WireCheckpoint | undefined; budgetMiB?: number }
  | { type: 'pause' }
  | { type: 'resume' }
  | { type: 'stop' }
  | { type: 'export-model'; id: number; cfg: TrainConfig; numClasses: number; params: Record<string, WireTensor>; mapping: number[] | undefined }
  | { type: 'evaluate'; id: number; cfg: TrainConfig; classes: string[]; params: Record<string, WireTensor>; mapping: number[] | undefined }
  | { type: 'classify'; id: number; key: string; cfg: TrainConfig; numClasses: number; params: Record<string, WireTensor>; mapping: number[] | undefined; image: Blob }
  /** Times one compiled train step of `model` on random images with the worker's executor (src/engine/bench.ts). */
  | { type: 'bench'; id: number; model: ArrayBuffer | Uint8Array; cfg: TrainConfig; numClasses: number; warmup: number; steps: number; pipelined: number };

export type Response =
  | { type: 'ready'; id: number; backend: string; runtime: string; ep: 'webgpu' | 'wasm'; crossOriginIsolated: boolean; threads: number; limits?: GpuLimits }
  | { type: 'backbone'; id: number; name: string; sha256: string; info: BackboneInfo; warnings: string[] }
  | { type: 'data-progress'; id: number; done: number; total: number }
  | { type: 'data'; id: number; summary: DatasetSummary }
  | { type: 'plan'; id: number; plan: ParamPlan }
  | { type: 'memory-plan'; id: number; plan: MemoryPlan | undefined }
  /** `note`: what the worker changed to make the run fit (micro-batching under the memory budget). */
  | { type: 'started'; runId: string; totalSteps: number; trainCount: number; valCount: number; backend: string; note?: string }
  /** Whether the run's WebGPU sessions are graph-captured, in one line (sent once its sessions exist). */
  | { type: 'capture'; runId: string; on: boolean; detail: string }
  | { type: 'step'; runId: string; metrics: StepMetrics; imagesPerS: number; elapsed: number }
  | { type: 'epoch'; runId: string; metrics: EpochMetrics; profile?: EpochProfile }
  | { type: 'mapping'; runId: string; epoch: number; mapping: number[] }
  | { type: 'checkpoint'; runId: string; checkpoint: WireCheckpoint }
  | { type: 'state'; runId: string; state: 'paused' | 'running' | 'stopping' | 'evaluating' }
  | { type: 'done'; result: RunDone }
  /** A deployable model; over 2 GiB of weights with its data file (model.onnx_data) beside it. */
  | { type: 'model'; id: number; bytes: ArrayBuffer; externalData?: WireDataFile[] }
  | { type: 'evaluated'; id: number; evaluation: EvaluationSummary; samples: SampleImage[] }
  | { type: 'classified'; id: number; probabilities: number[]; preview: SampleImage }
  | { type: 'bench-result'; id: number; result: BenchResult }
  /** `message`: one sentence that says what to change (worker/errors.ts); `detail`: the raw text it replaced. */
  | { type: 'error'; id: number | undefined; runId: string | undefined; message: string; detail?: string };

export type ResponseOf<T extends Response['type']> = Extract<Response, { type: T }>;

/** Narrows a response by its type tag (a type guard, so neither end needs a cast). */
export function isResponse<T extends Response['type']>(m: Response, type: T): m is ResponseOf<T> {
  return m.type === type;
}
