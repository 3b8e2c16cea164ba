// Main-thread proxy of the training worker: request/response calls as promises (matched by id), streaming run
// events to listeners, the run controls, and the step benchmark. Takes any Worker-like port, so the store can be
// tested in Node against a Handler wired back-to-back.
import type { TrainConfig } from '../engine/config.ts';
import type { ExternalFile } from '../onnx/external.ts';
import { scopeMemory } from './memory.ts';
import { isResponse, type BackendChoice, type BenchResult, type DataFile, type Request, type Response, type ResponseOf, type RuntimeOptions, type WireCheckpoint, type WireTensor } from './protocol.ts';

export interface WorkerPort {
  postMessage(msg: Request, transfer: Transferable[]): void;
  addEventListener(type: 'message', fn: (e: MessageEvent<Response>) => void): void;
}

type Pending = { expect: Response['type']; resolve: (m: Response) => void; reject: (e: Error) => void };

export class WorkerError extends Error {}

export class WorkerClient {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Set<(m: Response) => void>();

  constructor(private readonly port: WorkerPort) {
    port.addEventListener('message', (e) => this.receive(e.data));
  }

  /** Subscribes to every message (run events, progress); returns the unsubscribe function. */
  on(fn: (m: Response) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  private receive(m: Response): void {
    const id = 'id' in m ? m.id : undefined;
    const p = id !== undefined ? this.pending.get(id) : undefined;
    if (p && (m.type === 'error' || m.type === p.expect)) {
      this.pending.delete(id!);
      if (m.type === 'error') p.reject(new WorkerError(m.message));
      else p.resolve(m);
    }
    for (const fn of this.listeners) fn(m);
  }

  private call<T extends Response['type']>(make: (id: number) => Request, expect: T, transfer: Transferable[] = []): Promise<ResponseOf<T>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, {
        expect, reject,
        resolve: (m) => (isResponse(m, expect) ? resolve(m) : reject(new WorkerError(`unexpected reply ${m.type}`))),
      });
      this.port.postMessage(make(id), transfer);
    });
  }

  init(backend: BackendChoice, options: RuntimeOptions = { verbose: false }) { return this.call((id) => ({ type: 'init', id, backend, options }), 'ready'); }
  /** Sends a copy of the backbone bytes and of its external data files, if any (the caller keeps its own). */
  backbone(name: string, bytes: Uint8Array, sizes: { inputSize?: number; preprocessorSize?: number } = {}, external: readonly ExternalFile[] = []) {
    const copy = bytes.slice().buffer;
    const externalData = external.map((f) => ({ path: f.path, data: f.data.slice().buffer }));
    return this.call((id) => ({ type: 'backbone', id, name, bytes: copy, ...(externalData.length ? { externalData } : {}), ...sizes }), 'backbone', [copy, ...externalData.map((f) => f.data)]);
  }
  /** Re-loads the current backbone at input size L. */
  backboneSize(inputSize: number) { return this.call((id) => ({ type: 'backbone-size', id, inputSize }), 'backbone'); }
  data(files: DataFile[]) { return this.call((id) => ({ type: 'data', id, files }), 'data'); }
  plan(cfg: TrainConfig, numClasses: number) { return this.call((id) => ({ type: 'plan', id, cfg, numClasses }), 'plan'); }
  memoryPlan(cfg: TrainConfig, numClasses: number, budgetMiB: number) { return this.call((id) => ({ type: 'memory-plan', id, cfg, numClasses, budgetMiB }), 'memory-plan'); }
  exportModel(cfg: TrainConfig, numClasses: number, params: Record<string, WireTensor>, mapping: number[] | undefined) {
    return this.call((id) => ({ type: 'export-model', id, cfg, numClasses, params, mapping }), 'model');
  }
  evaluate(cfg: TrainConfig, classes: string[], params: Record<string, WireTensor>, mapping: number[] | undefined) {
    return this.call((id) => ({ type: 'evaluate', id, cfg, classes, params, mapping }), 'evaluated');
  }
  classify(key: string, cfg: TrainConfig, numClasses: number, params: Record<string, WireTensor>, mapping: number[] | undefined, image: Blob) {
    return this.call((id) => ({ type: 'classify', id, key, cfg, numClasses, params, mapping, image }), 'classified');
  }
  /** Times one compiled train step of `model` on the worker's backend (the buffer is transferred: the caller's copy is
   * detached). The worker's memory figures are completed with what this (page) scope can tell — in Chromium the
   * page's measureUserAgentSpecificMemory() when it covers the worker (src/worker/memory.ts). */
  async bench(model: ArrayBuffer, cfg: TrainConfig, numClasses: number, o: { warmup: number; steps: number; pipelined: number }): Promise<BenchResult> {
    const r = await this.call((id) => ({ type: 'bench', id, model, cfg, numClasses, ...o }), 'bench-result', [model]);
    // the page's measurement counts only when it covers the worker (the bench ran there)
    const memory = { ...(await scopeMemory({ needScope: 'DedicatedWorkerGlobalScope' })), ...r.result.memory };
    return Object.keys(memory).length ? { ...r.result, memory } : r.result;
  }
  train(runId: string, cfg: TrainConfig, init?: Record<string, WireTensor>, resume?: WireCheckpoint, budgetMiB?: number): void {
    this.port.postMessage({ type: 'train', runId, cfg, init, resume, budgetMiB }, []);
  }
  pause(): void { this.port.postMessage({ type: 'pause' }, []); }
  resume(): void { this.port.postMessage({ type: 'resume' }, []); }
  stop(): void { this.port.postMessage({ type: 'stop' }, []); }
}
