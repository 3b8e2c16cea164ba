// The worker's message handler: owns the backbone bytes, the dataset, the Executor and the running training, and
// benchmarks one train step on that executor. Platform pieces (image codec, executor factory, memory figures) are
// injected, so the handler runs in Node under Vitest with a stubbed postMessage, and in the browser worker with
// onnxruntime-web and OffscreenCanvas.
import { sha256Hex } from '../io/digest.ts';
import { getRule } from '../autodiff/registry.ts';
import type { ImageCodec } from '../data/decode-browser.ts';
import { benchStep } from '../engine/bench.ts';
import { checkLoad, executorRunner } from '../engine/load-check.ts';
import { loadBackbone } from '../onnx/backbone.ts';
import { externalNote, filesResolver, isSplit, modelBytes, type ExternalFile } from '../onnx/external.ts';
import { backboneInfo, configBackbone, describeBackbone, exportDeployable, initParams, type BackboneInfo } from '../engine/compile.ts';
import { ConfigError, validateConfig, type TrainConfig } from '../engine/config.ts';
import type { Executor } from '../engine/executor.ts';
import { Dataset } from './dataset.ts';
import { explainError } from './errors.ts';
import { withFault } from './fault.ts';
import type { BackendChoice, BenchMemory, MemoryPlan, ParamPlan, Request, Response, RuntimeOptions } from './protocol.ts';
import { Classifier, evaluateRun, paramsFromWire } from './inference.ts';
import { planStep, RunControl, runTraining, stepBudget } from './run.ts';

export interface Backend { executor: Executor; runtime: string; ep: 'webgpu' | 'wasm'; crossOriginIsolated: boolean; threads: number }

export interface HandlerDeps {
  codec: ImageCodec;
  createBackend(choice: BackendChoice, options: RuntimeOptions): Promise<Backend>;
  /** What this platform can tell about its memory after a benchmark (absent: the result has no `memory`). */
  memory?(): Promise<BenchMemory>;
}

export type Post = (msg: Response, transfer?: Transferable[]) => void;

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Throws ConfigError when `cfg` cannot train on this backbone (the CLI's checks). */
const checkConfig = (cfg: TrainConfig, info: BackboneInfo, numClasses: number) =>
  validateConfig(cfg, configBackbone(info), numClasses);

export class Handler {
  private backend: Backend | undefined;
  private backendChoice: BackendChoice = 'auto';
  private runtimeOptions: RuntimeOptions = { verbose: false };
  /** The canonical backbone (onnx/backbone.ts) and the file it came from (with its external data files), kept to
   * re-pin another input size. */
  private backbone: { bytes: Uint8Array; info: BackboneInfo; name: string; original: Uint8Array; external: ExternalFile[]; sha256: string; preprocessorSize?: number } | undefined;
  private dataset: Dataset | undefined;
  private control: RunControl | undefined;
  private benching = false;
  private readonly classifier = new Classifier();

  constructor(private readonly post: Post, private readonly deps: HandlerDeps) {}

  /** Handles one request; failures become an `error` message, never an exception. */
  async handle(msg: Request): Promise<void> {
    try {
      await this.dispatch(msg);
    } catch (e) {
      const id = 'id' in msg ? msg.id : undefined;
      const runId = msg.type === 'train' ? msg.runId : undefined;
      if (msg.type === 'train') this.control = undefined;
      // what runs the model says what to change, in one sentence (never onnxruntime's raw text)
      if (msg.type === 'train' || msg.type === 'evaluate' || msg.type === 'classify' || msg.type === 'export-model') {
        const cfg = msg.cfg;
        const x = explainError(e, { batchSize: cfg.batchSize, microBatch: cfg.microBatch || undefined, ep: this.backend?.ep });
        this.post({ type: 'error', id, runId, message: x.message, ...(x.detail ? { detail: x.detail } : {}) });
      } else this.post({ type: 'error', id, runId, message: message(e) });
    }
  }

  private async ensureBackend(): Promise<Backend> {
    if (!this.backend) {
      const b = await this.deps.createBackend(this.backendChoice, this.runtimeOptions);
      const fault = this.runtimeOptions.fault;
      this.backend = fault ? { ...b, executor: withFault(b.executor, fault) } : b;
    }
    return this.backend;
  }

  private async dispatch(msg: Request): Promise<void> {
    switch (msg.type) {
      case 'init': {
        if (this.control) throw new Error('cannot change the backend while training');
        this.backendChoice = msg.backend;
        this.runtimeOptions = msg.options;
        this.backend = undefined;
        const b = await this.ensureBackend();
        this.post({ type: 'ready', id: msg.id, backend: b.executor.backend, runtime: b.runtime, ep: b.ep, crossOriginIsolated: b.crossOriginIsolated, threads: b.threads, ...(b.executor.limits ? { limits: b.executor.limits } : {}) });
        return;
      }
      case 'backbone': case 'backbone-size': {
        if (this.control) throw new Error('cannot change the backbone while training');
        const prev = this.backbone;
        if (msg.type === 'backbone-size' && !prev) throw new Error('choose a backbone first');
        const original = msg.type === 'backbone' ? new Uint8Array(msg.bytes) : prev!.original;
        const name = msg.type === 'backbone' ? msg.name : prev!.name;
        const preprocessorSize = msg.type === 'backbone' ? msg.preprocessorSize : prev!.preprocessorSize;
        const external = msg.type === 'backbone' ? (msg.externalData ?? []).map((f) => ({ path: f.path, data: new Uint8Array(f.data) })) : prev!.external;
        const loaded = loadBackbone(original, { inputSize: msg.inputSize, preprocessorSize, external: external.length ? filesResolver(external) : undefined });
        const bytes = loaded.bytes;
        const described = describeBackbone(bytes), graph = described.graph;
        let info = described.info;
        if (external.length) info = { ...info, loadNotes: [...info.loadNotes, externalNote(external)] };
        if (bytes !== original) {
          // the model we will train must compute what the file computes: run both on the CPU (wasm) sessions of the
          // training backend, off the GPU
          const { executor } = await this.ensureBackend();
          info = { ...info, loadNotes: [...info.loadNotes, (await checkLoad(original, bytes, loaded.tolerance, executorRunner(executor), external)).note] };
        }
        const sha256 = msg.type === 'backbone' ? await sha256Hex(original) : prev!.sha256;
        const missing = [...new Set(graph.nodes.map((n) => n.opType))].filter((o) => !getRule(o)).sort();
        const warnings = missing.length ? [`no gradient rule for ${missing.join(', ')}: prompts placed before these ops cannot be trained`] : [];
        if (!info.featureWidth && !info.numSourceClasses) throw new Error('no classifier head found: the model output is not a [N, classes] tensor and no final linear layer was found');
        this.backbone = { bytes, info, name, original, external, sha256, preprocessorSize };
        this.post({ type: 'backbone', id: msg.id, name, sha256, info, warnings });
        // data that came first (or at another size) is decoded at this size while the page waits for Train
        void this.dataset?.warm(info.inputSize);
        return;
      }
      case 'data': {
        if (this.control) throw new Error('cannot change the data while training');
        const size = this.backbone?.info.inputSize;
        const { dataset, summary } = await Dataset.load(msg.files, this.deps.codec, {
          size, onProgress: (done, total) => { if (done === total || done % 8 === 0) this.post({ type: 'data-progress', id: msg.id, done, total }); },
        });
        this.dataset?.stopWarming();
        this.dataset = dataset;
        this.post({ type: 'data', id: msg.id, summary });
        return;
      }
      case 'plan':
        this.post({ type: 'plan', id: msg.id, plan: this.plan(msg.cfg, msg.numClasses) });
        return;
      case 'memory-plan': {
        const { executor } = await this.ensureBackend();
        this.post({ type: 'memory-plan', id: msg.id, plan: this.backbone && !this.control ? this.memoryPlan(msg.cfg, msg.numClasses, msg.budgetMiB * 2 ** 20, executor) : undefined });
        return;
      }
      case 'train': {
        if (this.control) throw new Error('a training run is already in progress');
        if (this.benching) throw new Error('a benchmark is running');
        if (!this.backbone) throw new Error('choose a backbone first');
        if (!this.dataset) throw new Error('load a dataset first');
        const control = (this.control = new RunControl(msg.runId));
        const init = msg.init ? { ...paramsFromWire(msg.init), ...(msg.init.mapping ? { mapping: { dtype: 'int32' as const, shape: msg.init.mapping.shape, data: msg.init.mapping.data } } : {}) } : undefined;
        try {
          const { executor } = await this.ensureBackend();
          await runTraining({ runId: msg.runId, cfg: msg.cfg, backbone: this.backbone.bytes, dataset: this.dataset, executor, init, resume: msg.resume, control, post: this.post, budgetBytes: msg.budgetMiB ? msg.budgetMiB * 2 ** 20 : undefined });
        } finally {
          this.control = undefined;
        }
        return;
      }
      case 'pause':
        if (this.control?.pause()) this.post({ type: 'state', runId: this.control.runId, state: 'paused' });
        return;
      case 'resume':
        if (this.control?.unpause()) this.post({ type: 'state', runId: this.control.runId, state: 'running' });
        return;
      case 'stop':
        if (this.control) { this.control.stop(); this.post({ type: 'state', runId: this.control.runId, state: 'stopping' }); }
        return;
      case 'export-model': {
        if (!this.backbone) throw new Error('the backbone of this run is not loaded');
        const m = exportDeployable(this.backbone.bytes, msg.cfg, msg.numClasses, paramsFromWire(msg.params), msg.mapping && Int32Array.from(msg.mapping), this.backbone.info.numSourceClasses);
        const buf = modelBytes(m).slice().buffer;
        const externalData = isSplit(m) ? m.externalData.map((f) => ({ path: f.path, data: f.data.slice().buffer })) : [];
        this.post({ type: 'model', id: msg.id, bytes: buf, ...(externalData.length ? { externalData } : {}) }, [buf, ...externalData.map((f) => f.data)]);
        return;
      }
      case 'evaluate': {
        if (!this.backbone) throw new Error('the backbone of this run is not loaded');
        if (!this.dataset) throw new Error('load the data to evaluate on first');
        const { executor } = await this.ensureBackend();
        const r = await evaluateRun(executor, this.backbone.bytes, this.backbone.info, this.dataset, msg.cfg, msg.classes, msg.params, msg.mapping);
        this.post({ type: 'evaluated', id: msg.id, ...r });
        return;
      }
      case 'bench': {
        if (this.control) throw new Error('cannot benchmark while training');
        if (this.benching) throw new Error('a benchmark is already running');
        if (!(msg.steps >= 1) || !(msg.warmup >= 0) || !(msg.pipelined >= 0)) throw new Error('a benchmark needs steps ≥ 1, warmup ≥ 0 and pipelined ≥ 0');
        const backbone = msg.model instanceof Uint8Array ? msg.model : new Uint8Array(msg.model);
        // checked on another view of the bytes: backboneInfo caches per view, so benchStep's compile time still
        // includes the backbone analysis, as in the CLI's figures
        checkConfig(msg.cfg, backboneInfo(backbone.subarray()), msg.numClasses);
        this.benching = true;
        try {
          const { executor } = await this.ensureBackend();
          const result = await benchStep({ backbone, cfg: msg.cfg, numClasses: msg.numClasses, executor, warmup: msg.warmup, steps: msg.steps, pipelined: msg.pipelined });
          const memory = await this.deps.memory?.();
          this.post({ type: 'bench-result', id: msg.id, result: memory ? { ...result, memory } : result });
        } catch (e) {
          throw new Error(`benchmark failed: ${message(e).split('\n')[0]}`);
        } finally {
          this.benching = false;
        }
        return;
      }
      case 'classify': {
        if (!this.backbone) throw new Error('the backbone of this run is not loaded');
        const { executor } = await this.ensureBackend();
        const b = this.backbone;
        const r = await this.classifier.classify(executor, this.deps.codec, b.bytes, b.info, `${msg.key}:${b.name}`, msg.cfg, msg.numClasses, msg.params, msg.mapping, msg.image);
        this.post({ type: 'classified', id: msg.id, ...r });
        return;
      }
    }
  }

  /** What runTraining will plan for this step on this GPU or capped wasm heap (the same planStep call). */
  private memoryPlan(cfg: TrainConfig, numClasses: number, userBudget: number, ex: Executor): MemoryPlan | undefined {
    const C = Math.max(numClasses, 2), info = this.backbone!.info, bytes = this.backbone!.bytes;
    const budgetBytes = stepBudget(ex, bytes.length, userBudget);
    if (budgetBytes === undefined) return undefined;
    try {
      checkConfig(cfg, info, C);
      const p = planStep(ex, bytes, info, cfg, C, userBudget)!;
      return { batch: cfg.batchSize, microBatch: p.microBatch, peakBytes: p.peakBytes, largestTensorBytes: p.largestTensorBytes, budgetBytes, note: p.note };
    } catch (e) {
      return { batch: cfg.batchSize, microBatch: 0, peakBytes: NaN, largestTensorBytes: NaN, budgetBytes, error: e instanceof Error ? e.message : String(e) };
    }
  }

  /** Trainable tensors of a configuration on the current backbone, or why it cannot train. */
  private plan(cfg: TrainConfig, numClasses: number): ParamPlan {
    if (!this.backbone) return { shapes: {}, trainable: 0, error: 'choose a backbone first' };
    const info = this.backbone.info;
    try {
      checkConfig(cfg, info, Math.max(numClasses, 2));
      const p = initParams(cfg, info, Math.max(numClasses, 2));
      const shapes = Object.fromEntries(Object.entries(p).map(([k, t]) => [k, t.shape]));
      return { shapes, trainable: Object.values(p).reduce((a, t) => a + t.data.length, 0), error: undefined };
    } catch (e) {
      if (e instanceof ConfigError || e instanceof Error) return { shapes: {}, trainable: 0, error: e.message };
      throw e;
    }
  }
}
