// Executor over onnxruntime-node's bundled native WebGPU EP (Dawn: Vulkan on Linux, Metal on macOS, D3D12 on
// Windows) — the GPU path for a server or workstation with no browser and no CUDA install (`--ep webgpu`).
// Like the studio's WebGPU path, the outputs the trainer names (updated parameters, optimiser state, metric sums)
// stay on the GPU as onnxruntime 'gpu-buffer' tensors and are fed straight back into the next step; everything
// else (the loss, logits) comes back with the run.
// Invariants: a handle is an ort.Tensor, on the CPU (uploads, ordinary outputs) or in a GPU buffer owned by
// onnxruntime (kept outputs). onnxruntime-node 1.30 cannot read a gpu-buffer tensor back (its download callback
// throws "not implemented" and aborts the process), so downloads run a one-node Identity session per dtype whose
// output is placed on the CPU. Sessions are created one at a time (the EP shares one device).
// Placement (placement.ts): when some node has no WebGPU kernel the session runs it on the CPU EP, and the executor
// says so once (`notice`) and counts it (`cpuFallback`) — a GPU benchmark of such a step would not measure the GPU
// alone.
import * as ort from 'onnxruntime-node';
import type { ExecSession, Executor, Handle } from '../engine/executor.ts';
import { elementwiseModel } from '../onnx/tiny.ts';
import { modelBytes, withKeptData, type SessionModel } from '../onnx/external.ts';
import { outputNames } from '../onnx/peek.ts';
import type { DType, Tensor } from '../onnx/tensor.ts';
import { execSession, externalDataOption, fromOrt, ortLog, toOrt, unwrap, wrap } from './ort-node.ts';
import { createPreferringGpu, NO_CPU_FALLBACK } from './placement.ts';

/** Why no adapter could be used, in one line (Dawn's multi-line message, with its source paths, stays out). */
export function webgpuFailure(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  if (/No supported adapters|Failed to get a WebGPU adapter/i.test(msg)) {
    const icd = process.env.VK_ICD_FILENAMES;
    return `--ep webgpu: no usable WebGPU adapter — Dawn found no supported GPU${icd ? ` through VK_ICD_FILENAMES=${icd}` : ''} (it rejects Mesa's llvmpipe/lavapipe); ` +
      'install the GPU vendor\'s Vulkan driver, or point VK_ICD_FILENAMES at a usable ICD file (Chromium\'s /usr/lib/chromium/vk_swiftshader_icd.json runs, slowly, on a CPU), or use --ep cpu';
  }
  const first = msg.split('\n').map((l) => l.replace(/^\/\S+:\d+ \S+ /, '').trim()).find((l) => l.length > 0) ?? msg;
  return `--ep webgpu: the WebGPU EP failed: ${first}`;
}

export interface NodeWebGpuOptions {
  /** onnxruntime's verbose log on stderr (node placement, graph optimisations). */
  verbose?: boolean;
  /** Called once, the first time a session needs the CPU EP for some of its nodes. */
  notice?: (line: string) => void;
}

export class NodeWebGpuExecutor implements Executor {
  readonly deviceMemory = true;
  /** Sessions created so far that run some nodes on the CPU EP. */
  cpuFallback = 0;
  private creating: Promise<unknown> = Promise.resolve();
  private readers = new Map<string, Promise<ort.InferenceSession>>();
  private constructor(readonly backend: string, private readonly opts: NodeWebGpuOptions) {}

  /** Opens the EP and proves it computes (y = x + x on the GPU); throws one line saying why not. */
  static async open(opts: NodeWebGpuOptions = {}): Promise<NodeWebGpuExecutor> {
    const bundled = ort.listSupportedBackends().find((b) => b.name === 'webgpu');
    if (!bundled) throw new Error(`--ep webgpu: this onnxruntime-node (${ort.env.versions.node}) has no WebGPU EP on ${process.platform}-${process.arch}`);
    try {
      const s = await ort.InferenceSession.create(elementwiseModel('Add', [{ dtype: 'float32', shape: [3] }]), { executionProviders: ['webgpu'], logSeverityLevel: 3 });
      const out = await s.run({ x0: new ort.Tensor('float32', Float32Array.of(1, 2, 3), [3]) });
      await s.release();
      if ((out.y0.data as Float32Array)[2] !== 6) throw new Error('the probe computed a wrong result');
    } catch (e) {
      throw new Error(webgpuFailure(e));
    }
    const icd = process.env.VK_ICD_FILENAMES;
    return new NodeWebGpuExecutor(`onnxruntime-node ${ort.env.versions.node} (webgpu${icd ? `, ${icd.split('/').pop()}` : ''})`, opts);
  }

  createSession(model: SessionModel, opts?: { keepOnDevice?: string[] }): Promise<ExecSession> {
    const next = this.creating.then(() => this.create(model, opts));
    this.creating = next.catch(() => undefined);
    return next;
  }

  private async create(given: SessionModel, opts?: { keepOnDevice?: string[] }): Promise<ExecSession> {
    const split = withKeptData(given);
    const keep = new Set(opts?.keepOnDevice ?? []);
    const loc: Record<string, 'gpu-buffer' | 'cpu'> = {};
    const model = modelBytes(split);
    for (const n of outputNames(model)) loc[n] = keep.has(n) ? 'gpu-buffer' : 'cpu';
    // no memory pattern, as on the CPU EP: a train step's activations are planned once
    const base: ort.InferenceSession.SessionOptions = {
      executionProviders: ['webgpu'], graphOptimizationLevel: 'all', enableMemPattern: false, preferredOutputLocation: loc, ...ortLog(this.opts.verbose), ...externalDataOption(split),
    };
    let placed: { session: ort.InferenceSession; cpuFallback: boolean };
    try {
      // the strict attempt's refusal is expected, so not logged unless verbose
      placed = await createPreferringGpu((strict) => ort.InferenceSession.create(model, strict ? { ...base, ...(this.opts.verbose ? {} : { logSeverityLevel: 4 }), extra: NO_CPU_FALLBACK } : base));
    } catch (e) {
      throw new Error(webgpuFailure(e));
    }
    if (placed.cpuFallback && this.cpuFallback++ === 0) {
      this.opts.notice?.('note: onnxruntime runs some nodes on the CPU EP (the WebGPU EP has no kernel for them), so each step copies tensors between ' +
        `the CPU and the GPU; ${this.opts.verbose ? 'the log above' : '--verbose'} names them`);
    }
    return execSession(placed.session);
  }

  upload(t: Tensor): Handle { return wrap(toOrt(t)); }

  async download(h: Handle): Promise<Tensor> {
    const t = unwrap(h);
    if (t.location !== 'gpu-buffer') return fromOrt(t);
    const key = `${t.type}/${t.dims.length}`;
    let reader = this.readers.get(key);
    if (!reader) {
      const shape = t.dims.map((_, i) => `d${i}`);   // one reader per type and rank, any size
      reader = this.creating.then(() => ort.InferenceSession.create(elementwiseModel('Identity', [{ dtype: t.type as DType, shape }]), { executionProviders: ['webgpu'], graphOptimizationLevel: 'disabled', logSeverityLevel: 3 }));
      this.creating = reader.catch(() => undefined);
      this.readers.set(key, reader);
    }
    const out = await (await reader).run({ x0: t });
    return fromOrt(out.y0);
  }

  dispose(h: Handle): void {
    const t = unwrap(h);
    if (t.location === 'gpu-buffer') t.dispose();
  }

  async close(): Promise<void> {
    for (const r of this.readers.values()) await (await r).release();
    this.readers.clear();
  }
}
