// The studio's state shape (one zustand store, sliced by concern) and its initial value. Plain data only, so the
// store runs in Node tests and a run's record can be saved as it is.
import type { BackboneInfo } from '../engine/compile.ts';
import type { ModelMeta } from '../engine/model-meta.ts';
import type { GpuLimits } from '../engine/executor.ts';
import type { DownloadProgress } from './download.ts';
import type { WebcamFrame } from '../persist/runs.ts';
import { DEFAULTS, type TrainConfig } from '../engine/config.ts';
import type { EpochMetrics } from '../engine/trainer.ts';
import type { RunRecord, StepPoint } from '../persist/runs.ts';
import type { BackendChoice, DataFile, DatasetSummary, MemoryPlan, ParamPlan, RunDone, SampleImage, WireTensor } from '../worker/protocol.ts';
import type { CatalogEntry, Normalisation } from './catalog.ts';
import { COMPARE_EPOCHS, type CompareEntry } from './compare-plan.ts';

export type Phase = 'idle' | 'starting' | 'compiling' | 'running' | 'paused' | 'stopping' | 'evaluating' | 'done' | 'stopped' | 'diverged' | 'error';

/** Phases in which a run holds the worker (the form is locked, Train waits). */
export const ACTIVE_PHASES: readonly Phase[] = ['starting', 'compiling', 'running', 'paused', 'stopping', 'evaluating'];
export const isActive = (p: Phase): boolean => ACTIVE_PHASES.includes(p);

/** A backend's short name for run rows, results and manifests (the whole label, with its reason, is on demand). */
export const shortBackendLabel = (label: string): string => (/^webgpu/i.test(label) ? 'WebGPU' : /^wasm/i.test(label) ? 'wasm (CPU)' : label);

export interface BackendState { status: 'starting' | 'ready' | 'error'; choice: BackendChoice; label: string; ep: 'webgpu' | 'wasm' | undefined; runtime: string; isolated: boolean; threads: number; limits?: GpuLimits }

export interface BackboneState {
  status: 'none' | 'loading' | 'ready' | 'error';
  name: string;
  url: string | undefined;
  /** Download progress of a catalogue model (bytes, rate, ETA). */
  progress: DownloadProgress | undefined;
  sha256: string;
  info: BackboneInfo | undefined;
  warnings: string[];
  error: string | undefined;
  norm: Normalisation | undefined;
  bytes: number;
  /** The model's own metadata (config.json / preprocessor_config.json dropped with it): source class names, notes. */
  meta?: ModelMeta;
  /** Whether sha256 was checked against a published digest ('published') or recorded at the first download. */
  shaSource?: 'published' | 'recorded';
}

export interface DataState {
  status: 'none' | 'loading' | 'ready' | 'error';
  name: string;
  progress: { done: number; total: number } | undefined;
  summary: DatasetSummary | undefined;
  error: string | undefined;
  /** The files by path (to show misclassified images). */
  files: Map<string, Blob>;
  /** The bundled demo (it can be loaded again after a reload; a dropped folder cannot). */
  fromDemo?: boolean;
  /** What was loaded before webcam frames were added (the frames are merged into it). */
  base?: { name: string; files: DataFile[] };
}

export interface RunState {
  id: string | undefined;
  phase: Phase;
  totalSteps: number;
  steps: StepPoint[];
  epochs: EpochMetrics[];
  mapping: number[] | undefined;
  elapsed: number;
  error: string | undefined;
  /** The raw failure an error sentence replaced (onnxruntime's text), for a bug report; never the message. */
  errorDetail?: string;
  backend: string;
  result: RunDone | undefined;
  /** Store clock (ms) when the worker started the run (compiling begins), and at the first step shown: the
   * elapsed time ticks from the first, the ETA is based on step times from the second. */
  startedAt?: number;
  firstStep?: { at: number; step: number };
  /** Validation images of the run (a pass over them follows every epoch and ends the run): the ETA counts them. */
  valCount?: number;
  /** On WebGPU: whether the run's steps are graph-captured, in one line (from the worker once its sessions exist). */
  capture?: { on: boolean; detail: string };
  /** The finished run's tensors and record are still being written to IndexedDB (the page asks before unloading). */
  saving?: boolean;
}

/** What the results panel shows: the finished current run or a saved one opened from the list. */
export interface ResultView { record: RunRecord; params: Record<string, WireTensor> }

/** The "try it" panel: the last classified image and its class probabilities. */
export interface TryState { status: 'idle' | 'busy' | 'ready' | 'error'; probabilities: number[]; preview: SampleImage | undefined; error: string | undefined }

export interface StudioState {
  backend: BackendState;
  catalog: CatalogEntry[];
  backbone: BackboneState;
  data: DataState;
  cfg: TrainConfig;
  plan: ParamPlan | undefined;
  run: RunState;
  runs: RunRecord[];
  /** Saved runs whose curves are overlaid. */
  compare: string[];
  /** The run deleted last, while it can still be brought back (its record and tensors are held in memory). */
  deleted: { id: string; name: string } | undefined;
  view: ResultView | undefined;
  tryit: TryState;
  notice: string | undefined;
  /** Frames collected from the webcam, by class (also in IndexedDB). */
  webcam: WebcamFrame[];
  /** Epochs every method trains in "Compare methods" (the same image budget for all; compare-plan.ts). */
  compareEpochs: number;
  /** The last method comparison: its plan, its runs (by plan order), whether it is running, and the trained
   * tensors of its runs once it ended (for the prompts side by side). */
  comparison: { entries: CompareEntry[]; ids: string[]; done: number; running: boolean; params: Record<string, Record<string, WireTensor>> } | undefined;
  /** A saved run whose settings fill the form and whose tensors the next Train starts from. */
  continuing: { id: string; name: string } | undefined;
  /** What is wrong with what the user typed into a settings field (field label → problem); Train waits for none. */
  fieldErrors: Record<string, string>;
  /** On WebGPU: what one training step may use, in MiB (the step is micro-batched to stay under it). */
  gpuBudgetMiB: number;
  /** On WebGPU: how the current settings' step will run (whole batch or micro-batches), refreshed after changes. */
  memoryPlan: MemoryPlan | undefined;
  /** The settings (limits.ts memoryKey) memoryPlan was made for: a run starts once it is the current one. */
  memoryPlanKey: string | undefined;
}

export const STUDIO_DEFAULTS: TrainConfig = { ...DEFAULTS, epochs: 5, augment: false };

export const emptyRun = (): RunState => ({ id: undefined, phase: 'idle', totalSteps: 0, steps: [], epochs: [], mapping: undefined, elapsed: 0, error: undefined, backend: '', result: undefined });

export const initialState = (): StudioState => ({
  backend: { status: 'starting', choice: 'auto', label: 'starting…', ep: undefined, runtime: '', isolated: false, threads: 1 },
  catalog: [],
  backbone: { status: 'none', name: '', url: undefined, progress: undefined, sha256: '', info: undefined, warnings: [], error: undefined, norm: undefined, bytes: 0 },
  data: { status: 'none', name: '', progress: undefined, summary: undefined, error: undefined, files: new Map() },
  cfg: { ...STUDIO_DEFAULTS },
  plan: undefined,
  run: emptyRun(),
  runs: [],
  compare: [],
  deleted: undefined,
  view: undefined,
  tryit: { status: 'idle', probabilities: [], preview: undefined, error: undefined },
  notice: undefined,
  fieldErrors: {},
  gpuBudgetMiB: 2048,
  memoryPlan: undefined,
  memoryPlanKey: undefined,
  continuing: undefined,
  compareEpochs: COMPARE_EPOCHS,
  comparison: undefined,
  webcam: [],
});

export type { DataFile };
