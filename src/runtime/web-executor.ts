// Executor over onnxruntime-web: handles are ort.Tensors; the outputs a session is told to keep (updated parameters
// and optimiser state) stay in GPU buffers between steps. One frozen capabilities object, made once by
// detectCapabilities(), decides WebGPU or wasm and says why — nothing else in the app asks `navigator.gpu` — and
// which onnxruntime-web build runs it, loaded with one dynamic import: the JSPI build (`onnxruntime-web/jspi`)
// where the browser has WebAssembly.Suspending — fastest for both backends in the browser benchmark —, else the
// asyncify one for WebGPU (`onnxruntime-web/webgpu`) and the plain one for wasm (`onnxruntime-web/wasm`, no asyncify
// instrumentation). ?ortbuild=plain|jspi|asyncify overrides it.
import type * as OrtModule from 'onnxruntime-web/webgpu';
import type { ExecSession, Executor, GpuLimits, Handle } from '../engine/executor.ts';
import { isSplit, modelBytes, withKeptData, type SessionModel } from '../onnx/external.ts';
import type { Tensor } from '../onnx/tensor.ts';
import { createPreferringGpu, NO_CPU_FALLBACK } from './placement.ts';
import { WASM_HEAP_BYTES } from '../engine/budget.ts';
import { elementwiseModel } from '../onnx/tiny.ts';
import { outputNames } from '../onnx/peek.ts';
import { CapturedSession, hostData, WebHandle, type GpuDeviceLike } from './captured.ts';

export type Ep = 'webgpu' | 'wasm';
/** onnxruntime-web builds: plain wasm (no WebGPU), JSPI (WebGPU + wasm, needs WebAssembly.Suspending), asyncify. */
export type OrtBuild = 'plain' | 'jspi' | 'asyncify';

type Ort = typeof OrtModule;
let ort: Ort;
let loadedBuild: OrtBuild | undefined;

const hasJspi = (): boolean => typeof WebAssembly === 'object' && 'Suspending' in WebAssembly;

/** The build a backend runs on (measured: e2e/bench/browser-bench.ts --builds). */
export function chooseBuild(ep: Ep, want?: OrtBuild): OrtBuild {
  if (want === 'jspi' && !hasJspi()) return ep === 'webgpu' ? 'asyncify' : 'plain';
  if (want && !(ep === 'webgpu' && want === 'plain')) return want;
  // measured in Chromium 150 on 2 cores (bench/browser-2026-11-28T22-55-33-575Z.json, starters' LoR-VP step, batch 16,
  // two rounds): JSPI 58–59 / 67–72 ms (ResNet / ViT), plain 92–117 / 62–64 ms, asyncify 62–69 / 82–85 ms
  return hasJspi() ? 'jspi' : ep === 'webgpu' ? 'asyncify' : 'plain';
}

async function loadOrt(build: OrtBuild): Promise<Ort> {
  if (loadedBuild === build) return ort;
  ort = (build === 'plain' ? await import('onnxruntime-web/wasm') : build === 'jspi' ? await import('onnxruntime-web/jspi') : await import('onnxruntime-web/webgpu')) as Ort;
  loadedBuild = build;
  return ort;
}

export type CaptureMode = 'on' | 'off' | 'buffers';

export interface Capabilities {
  readonly ep: Ep;
  /** "webgpu (<adapter>)" or "wasm — <why>". */
  readonly label: string;
  readonly adapter: string | undefined;
  readonly fallbackAdapter: boolean;
  readonly crossOriginIsolated: boolean;
  readonly threads: number;
  readonly build: OrtBuild;
  /** onnxruntime's verbose log (node placement: "All nodes placed on [WebGpuExecutionProvider]") to the console. */
  readonly verbose: boolean;
  /** WebGPU sessions: graph-captured (captured.ts), 'off' (?capture=0), or 'buffers' — captured.ts's fixed buffers
   * and feed-back without onnxruntime's capture (?capture=buffers; it tells a device-state fault from a replay one). */
  readonly capture: CaptureMode;
  /** WebGPU: the adapter's buffer limits. */
  readonly limits?: GpuLimits;
}

interface AdapterInfoLike { vendor?: string; architecture?: string; device?: string; description?: string }
interface AdapterLike { info?: AdapterInfoLike; isFallbackAdapter?: boolean; limits?: Partial<GpuLimits> }
interface GpuLike { requestAdapter(): Promise<AdapterLike | null> }

function gpuOf(nav: object): GpuLike | undefined {
  if (!('gpu' in nav)) return undefined;
  const g: unknown = nav.gpu;
  return g && typeof g === 'object' && 'requestAdapter' in g && typeof g.requestAdapter === 'function' ? (g as GpuLike) : undefined;
}

const describeAdapter = (a: AdapterLike): string => {
  const i = a.info ?? {};
  const parts = [i.vendor, i.architecture, i.device, i.description].filter((s): s is string => !!s && s.length > 0);
  const uniq = [...new Set(parts)].join(' ');
  return (uniq || 'unknown adapter') + (a.isFallbackAdapter ? ', fallback adapter' : '');
};

/** wasm threads: every core, at most 4. Leaving the page a core was measured (npm run bench:ui): no better
 * input-to-paint on 2 cores, a quarter fewer steps; `threads` overrides it. */
export const defaultThreads = (cores: number): number => Math.max(1, Math.min(4, cores));

function configureEnv(ort: Ort, verbose: boolean, want?: number): { isolated: boolean; threads: number } {
  const isolated = typeof crossOriginIsolated === 'boolean' && crossOriginIsolated;
  const cores = typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 1;
  const threads = isolated ? Math.max(1, Math.min(16, want ?? defaultThreads(cores))) : 1;
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  ort.env.logLevel = verbose ? 'verbose' : 'error';
  return { isolated, threads };
}

/** "onnxruntime-web <version>". */
export const runtimeVersion = (): string => `onnxruntime-web ${ort?.env.versions.web ?? ort?.env.versions.common ?? '?'} (${loadedBuild ?? '?'} build)`;

/** Decides the backend once: WebGPU when an adapter exists and a probe session runs on it, else wasm (and why). */
export async function detectCapabilities(prefer: Ep | 'auto' = 'auto', verbose = false, threadsWanted?: number, buildWanted?: OrtBuild, capture: CaptureMode = 'on'): Promise<Capabilities> {
  const wasm = async (why: string): Promise<Capabilities> => {
    const build = chooseBuild('wasm', buildWanted);
    const { isolated, threads } = configureEnv(await loadOrt(build), verbose, threadsWanted);
    return Object.freeze({ ep: 'wasm', label: `wasm — ${why}`, adapter: undefined, fallbackAdapter: false, crossOriginIsolated: isolated, threads, build, verbose, capture: 'off' });
  };
  if (prefer === 'wasm') return wasm('chosen in the settings');
  const gpu = typeof navigator === 'undefined' ? undefined : gpuOf(navigator);
  if (!gpu) return wasm('this browser has no WebGPU (navigator.gpu is missing)');
  let adapter: AdapterLike | null;
  try {
    adapter = await gpu.requestAdapter();
  } catch (e) {
    return wasm(`requestAdapter failed: ${String(e)}`);
  }
  if (!adapter) return wasm('no WebGPU adapter (no GPU, or the GPU is blocklisted)');
  const name = describeAdapter(adapter);
  // A software adapter (SwiftShader: headless Chromium with --enable-unsafe-webgpu) is ~75× slower than wasm.
  if (prefer === 'auto' && (adapter.isFallbackAdapter || /swiftshader/i.test(name))) return wasm(`the WebGPU adapter (${name}) is a software renderer, slower than wasm; choose WebGPU to use it anyway`);
  const build = chooseBuild('webgpu', buildWanted);
  let isolated = false, threads = 1;
  try {
    ({ isolated, threads } = configureEnv(await loadOrt(build), verbose, threadsWanted));
    // y = x + x on [3]: proves the EP can compile and run a kernel
    const s = await ort.InferenceSession.create(elementwiseModel('Add', [{ dtype: 'float32', shape: [3] }]), { executionProviders: ['webgpu'] });
    const out = await s.run({ x0: new ort.Tensor('float32', Float32Array.of(1, 2, 3), [3]) });
    const y = out.y0.data;
    await s.release();
    if (!(y instanceof Float32Array) || y[2] !== 6) throw new Error('probe computed a wrong result');
  } catch (e) {
    return wasm(`WebGPU adapter ${name} failed a probe session: ${e instanceof Error ? e.message : String(e)}`);
  }
  const limits = { maxBufferSize: adapter.limits?.maxBufferSize ?? 2 ** 28, maxStorageBufferBindingSize: adapter.limits?.maxStorageBufferBindingSize ?? 2 ** 27 };
  return Object.freeze({ ep: 'webgpu', label: `webgpu (${name})`, adapter: name, fallbackAdapter: !!adapter.isFallbackAdapter, crossOriginIsolated: isolated, threads, build, verbose, capture, limits });
}

/** A GPUDevice of its own from a fresh adapter (an adapter gives one device), with the adapter's limits and the
 * features onnxruntime's WebGPU EP uses where the adapter has them. */
async function ownDevice(): Promise<GPUDeviceLikeWithLimits> {
  const gpu = gpuOf(navigator) as unknown as { requestAdapter(): Promise<{ limits: Record<string, number>; features: Set<string>; requestDevice(d: object): Promise<GPUDeviceLikeWithLimits> } | null> };
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('no second WebGPU adapter for a captured session');
  const wanted = ['shader-f16', 'timestamp-query', 'subgroups', 'chromium-experimental-timestamp-query-inside-passes'];
  const requiredLimits: Record<string, number> = {};
  for (const k of ['maxBufferSize', 'maxStorageBufferBindingSize', 'maxComputeWorkgroupStorageSize', 'maxComputeWorkgroupSizeX', 'maxComputeWorkgroupSizeY', 'maxComputeWorkgroupSizeZ', 'maxComputeInvocationsPerWorkgroup', 'maxComputeWorkgroupsPerDimension', 'maxStorageBuffersPerShaderStage', 'maxBindGroups']) {
    if (typeof adapter.limits[k] === 'number') requiredLimits[k] = adapter.limits[k];
  }
  return adapter.requestDevice({ requiredLimits, requiredFeatures: wanted.filter((f) => adapter.features.has(f)) });
}
type GPUDeviceLikeWithLimits = GpuDeviceLike & { destroy(): void };


const handle = (h: Handle): WebHandle => {
  if (!(h instanceof WebHandle)) throw new Error('internal: handle from another executor');
  return h;
};

function toOrt(t: Tensor): OrtModule.Tensor {
  const d = t.data;
  if (d instanceof Float32Array) return new ort.Tensor('float32', d, t.shape);
  if (d instanceof Int32Array) return new ort.Tensor('int32', d, t.shape);
  if (d instanceof BigInt64Array) return new ort.Tensor('int64', d, t.shape);
  if (d instanceof Uint8Array && t.dtype === 'bool') return new ort.Tensor('bool', d, t.shape);
  if (d instanceof Uint8Array) return new ort.Tensor('uint8', d, t.shape);
  throw new Error(`cannot upload a ${t.dtype} tensor`);
}

/** A host copy of a tensor. A GPU tensor is read back and its GPU buffer released (getData(true)): the handle becomes
 * a host tensor, so a later dispose() frees nothing twice and nothing is left behind on the GPU. */
async function fromOrt(t: OrtModule.Tensor): Promise<Tensor> {
  return fromData(t.type, t.dims, t.location === 'cpu' || t.location === 'cpu-pinned' ? t.data : await t.getData(true));
}

function fromData(type: string, dims: readonly number[], data: OrtModule.Tensor.DataType): Tensor {
  const shape = [...dims];
  if (data instanceof Float32Array) return { dtype: 'float32', shape, data };
  if (data instanceof Int32Array) return { dtype: 'int32', shape, data };
  if (data instanceof BigInt64Array) return { dtype: 'int64', shape, data };
  if (data instanceof Uint8Array) return { dtype: type === 'bool' ? 'bool' : 'uint8', shape, data };
  throw new Error(`cannot download a ${type} tensor`);
}

export class WebExecutor implements Executor {
  readonly backend: string;
  readonly deviceMemory: boolean;
  readonly limits: GpuLimits | undefined;
  /** wasm: every session shares one 32-bit heap (WASM_HEAP_BYTES). */
  readonly memoryCapBytes: number | undefined;
  /** The WebGPU EP refuses to create two sessions at once: creations are queued. */
  private creating: Promise<unknown> = Promise.resolve();
  constructor(readonly caps: Capabilities) {
    this.backend = caps.label;
    this.deviceMemory = caps.ep === 'webgpu';
    this.limits = caps.limits;
    this.memoryCapBytes = caps.ep === 'wasm' ? WASM_HEAP_BYTES : undefined;
  }

  createSession(model: SessionModel, opts?: { keepOnDevice?: string[]; host?: boolean }): Promise<ExecSession> {
    const next = this.creating.then(() => this.create(model, opts));
    this.creating = next.catch(() => undefined);
    return next;
  }

  /** Graph capture now: captured sessions alive, and why the last one fell back to uncaptured runs (cleared when
   * none is alive, i.e. between runs). */
  private capture: { live: number; failure: string | undefined } = { live: 0, failure: undefined };
  /** Devices of released captured sessions, reused by the next ones: one device per live captured session, so a
   * studio that trains run after run does not pile up devices (and their buffer pools). */
  private spareDevices: GPUDeviceLikeWithLimits[] = [];
  private releasedCaptured(device: GPUDeviceLikeWithLimits): void {
    this.spareDevices.push(device);
    if (--this.capture.live <= 0) this.capture = { live: 0, failure: undefined };
  }

  /** Live uncaptured WebGPU sessions that run some nodes on the CPU (placement.ts). */
  private cpuFallback = 0;

  /** One line for the user: whether this executor's WebGPU steps are graph-captured, and if not, why; and whether
   * some session runs nodes on the CPU. */
  captureStatus(): { on: boolean; detail: string } | undefined {
    const c = this.captureOnly();
    if (!c || this.cpuFallback === 0) return c;
    return { ...c, detail: `${c.detail}; onnxruntime runs some nodes of ${this.cpuFallback === 1 ? 'a session' : `${this.cpuFallback} sessions`} on the CPU (no WebGPU kernel for them), copying tensors every run` };
  }

  private captureOnly(): { on: boolean; detail: string } | undefined {
    if (this.caps.ep !== 'webgpu') return undefined;
    if (this.caps.capture === 'off') return { on: false, detail: 'graph capture off (?capture=0): every kernel is dispatched from JavaScript' };
    if (this.caps.capture === 'buffers') return { on: false, detail: 'graph capture off (?capture=buffers): fixed buffers and feed-back only' };
    if (this.capture.failure) return { on: false, detail: `graph capture failed, so steps run uncaptured (slower): ${this.capture.failure}` };
    return { on: true, detail: `graph capture on (${this.capture.live} sessions): each step is one replay` };
  }

  private async create(given: SessionModel, opts?: { keepOnDevice?: string[]; host?: boolean }): Promise<ExecSession> {
    const split = withKeptData(given);
    const gpu = this.caps.ep === 'webgpu' && !opts?.host;
    const options: OrtModule.InferenceSession.SessionOptions = { executionProviders: [gpu ? 'webgpu' : 'wasm'], graphOptimizationLevel: 'all' };
    // a graph over protobuf's 2 GiB comes with its weights as data files (onnx/session-model.ts): every session
    // created below from these options gets them
    const model = modelBytes(split);
    if (isSplit(split)) options.externalData = split.externalData;
    if (this.caps.verbose && !opts?.host) Object.assign(options, { logSeverityLevel: 0, logVerbosityLevel: 0 });
    // the steps (sessions that keep outputs on the device: train step, accumulate, apply) are captured; evaluation,
    // run once an epoch, is not worth a device of its own (see createCaptured)
    if (gpu && this.caps.capture !== 'off' && (opts?.keepOnDevice?.length ?? 0) > 0) {
      const captured = await this.createCaptured(model, options, opts);
      if (captured) return captured;
    }
    return this.createPlain(model, options, opts);
  }

  /** A graph-captured session (captured.ts), falling back to a plain one — with the reason noted — if onnxruntime
   * refuses to create or to capture it (a node off the GPU, an adapter without the features).
   * Each captured session gets a GPUDevice of its own: onnxruntime-web 1.30's WebGPU EP keeps one buffer pool per
   * device, shared by every session on it, and captured graphs do not survive other sessions' runs there (measured
   * on SwiftShader: the step and the evaluation captured on one device lost the device at the first evaluation;
   * with the evaluation uncaptured and its buffer cache off, "Buffer used in submit while destroyed"). Feeds
   * between devices go through the host (small: prompts, heads, optimiser state; captured.ts hostData). */
  private async createCaptured(model: Uint8Array, options: OrtModule.InferenceSession.SessionOptions, opts?: { keepOnDevice?: string[] }): Promise<ExecSession | undefined> {
    const why = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0];
    let c: CapturedSession, device: GPUDeviceLikeWithLimits | undefined;
    try {
      device = this.spareDevices.pop() ?? await ownDevice();
      // the EP as an object: onnxruntime-web passes enableGraphCapture on to the WebGPU EP only then
      const ep = { name: 'webgpu', device } as never;
      const s = await ort.InferenceSession.create(model, { ...options, executionProviders: [ep], enableGraphCapture: this.caps.capture === 'on', preferredOutputLocation: 'gpu-buffer' });
      c = new CapturedSession(ort, device as GpuDeviceLike, s, (specs) => this.allocate(specs, ep));
    } catch (e) {
      console.warn('graph capture: create failed', e);
      if (device) this.spareDevices.push(device);
      this.capture.failure = why(e);
      return undefined;
    }
    const own = device;
    this.capture.live++;
    let plain: ExecSession | undefined, first = true;
    return {
      run: async (feeds) => {
        if (plain) return plain.run(feeds);
        const hs: Record<string, WebHandle> = {};
        for (const [k, v] of Object.entries(feeds)) hs[k] = handle(v);
        if (!first) return c.run(hs);
        first = false;
        try {
          return await c.run(hs);
        } catch (e) {
          console.warn('graph capture: first run failed', e);
          await c.release();
          this.releasedCaptured(own);
          this.capture.failure = why(e);
          plain = await this.createPlain(model, options, opts);
          return plain.run(feeds);
        }
      },
      release: async () => {
        if (plain) return plain.release();
        await c.release();
        this.releasedCaptured(own);
      },
    };
  }

  /** An onnxruntime session created in the executor's queue (not inside a queued creation: it would wait on itself). */
  private createSessionQueued(model: Uint8Array, options: OrtModule.InferenceSession.SessionOptions): Promise<OrtModule.InferenceSession> {
    const next = this.creating.then(() => ort.InferenceSession.create(model, options));
    this.creating = next.catch(() => undefined);
    return next;
  }

  /** GPU tensors that onnxruntime allocated (captured.ts says why): the outputs y_i = x_i + x_i of a one-off
   * session fed zeros; the session lives as long as its buffers. */
  private async allocate(specs: { type: string; dims: readonly number[] }[], ep: OrtModule.InferenceSession.ExecutionProviderConfig): Promise<{ tensors: OrtModule.Tensor[]; release(): Promise<void> }> {
    const feeds: Record<string, OrtModule.Tensor> = {};
    specs.forEach((sp, i) => {
      if (sp.type !== 'float32' && sp.type !== 'int32') throw new Error(`graph capture: cannot allocate a ${sp.type} buffer`);
      const n = sp.dims.reduce((a, b) => a * b, 1);
      feeds[`x${i}`] = new ort.Tensor(sp.type, sp.type === 'float32' ? new Float32Array(n) : new Int32Array(n), sp.dims);
    });
    const model = elementwiseModel('Add', specs.map((sp) => ({ dtype: sp.type as 'float32' | 'int32', shape: sp.dims })));
    const s = await this.createSessionQueued(model, { executionProviders: [ep], preferredOutputLocation: 'gpu-buffer' });
    const out = await s.run(feeds);
    const tensors = specs.map((_, i) => out[`y${i}`]);
    return { tensors, release: async () => { for (const t of tensors) t.dispose(); await s.release(); } };
  }

  private async createPlain(model: Uint8Array, options: OrtModule.InferenceSession.SessionOptions, opts?: { keepOnDevice?: string[] }): Promise<ExecSession> {
    const gpu = options.executionProviders?.[0] === 'webgpu';
    if (gpu) {
      // The outputs the caller names (updated parameters and optimiser state) stay on the GPU; the rest (loss,
      // logits) come back to the CPU with the run.
      const names = outputNames(model);
      const keep = new Set(opts?.keepOnDevice ?? []);
      const loc: Record<string, OrtModule.Tensor.DataLocation> = {};
      for (const n of names) loc[n] = keep.has(n) ? 'gpu-buffer' : 'cpu';
      options.preferredOutputLocation = loc;
    }
    let s: OrtModule.InferenceSession, onCpu = false;
    if (gpu) {
      const placed = await createPreferringGpu((strict) => ort.InferenceSession.create(model, strict ? { ...options, extra: NO_CPU_FALLBACK } : options));
      onCpu = placed.cpuFallback;
      if (onCpu) this.cpuFallback++;
      s = placed.session;
    } else s = await ort.InferenceSession.create(model, options);
    return {
      async run(feeds) {
        const f: Record<string, OrtModule.Tensor> = {};
        for (const [k, v] of Object.entries(feeds)) {
          const w = handle(v);
          // a tensor on a captured session's own device comes through the host
          f[k] = w.device && w.t.location === 'gpu-buffer' ? new ort.Tensor(w.t.type as 'float32', (await hostData(w)) as Float32Array, w.t.dims) : w.t;
        }
        const out = await s.run(f);
        const r: Record<string, Handle> = {};
        for (const [k, v] of Object.entries(out)) r[k] = new WebHandle(v);
        return r;
      },
      release: async () => {
        await s.release();
        if (onCpu) this.cpuFallback--;
      },
    };
  }
  upload(t: Tensor): Handle { return new WebHandle(toOrt(t)); }
  async download(h: Handle): Promise<Tensor> {
    const w = handle(h);
    if (w.slot) return fromData(w.t.type, w.t.dims, await w.slot.read());
    return fromOrt(w.t);
  }
  dispose(h: Handle): void {
    const w = handle(h);
    if (w.slot) w.slot.live.delete(w);   // a captured session's fixed buffer: only forgotten
    else w.t.dispose();                  // (also after a read-back turned it into a host tensor: its GPU buffer goes)
  }
}
