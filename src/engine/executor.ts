// The Executor interface the trainer runs on: sessions over ONNX bytes and opaque device handles, so that the
// trainer never knows whether tensors live in onnxruntime-node memory or in WebGPU buffers. Implementations live
// in src/runtime/ (the only code that imports onnxruntime).
import type { SessionModel } from '../onnx/external.ts';
import type { Tensor } from '../onnx/tensor.ts';

/** A tensor owned by the executor (host memory, or a GPU buffer that is never read back unless asked). */
export interface Handle { readonly __handle: true }

/** A WebGPU adapter's limits on one buffer (bytes): its size, and what one shader may bind of it. */
export interface GpuLimits { maxBufferSize: number; maxStorageBufferBindingSize: number }

export interface ExecSession {
  /** Runs the graph; outputs named in `keep` stay on the device, the others are returned as handles too. */
  run(feeds: Record<string, Handle>): Promise<Record<string, Handle>>;
  release(): Promise<void>;
}

export interface Executor {
  /** Human-readable backend name, e.g. "onnxruntime-node (cpu)", "webgpu (NVIDIA …)", "wasm". */
  readonly backend: string;
  /** Handles live in device (GPU) memory: reading one back waits for the device to finish its queued work. */
  readonly deviceMemory: boolean;
  /** A session over ONNX bytes, or (a graph over protobuf's 2 GiB) bytes with their data files. */
  /** `host`: run on the CPU (wasm in the browser) — reference runs such as the load check, which must not touch the
   * GPU's memory or its node placement; executors that are on the CPU already ignore it. */
  createSession(model: SessionModel, opts?: { keepOnDevice?: string[]; host?: boolean }): Promise<ExecSession>;
  upload(t: Tensor): Handle;
  download(h: Handle): Promise<Tensor>;
  /** Frees a handle's device memory (no-op on the host). */
  dispose(h: Handle): void;
  /** On a GPU: the adapter's buffer limits (the step planner keeps every tensor within the binding limit). */
  readonly limits?: GpuLimits;
  /** A hard cap on the memory its sessions share (the browser's wasm heap, 4 GiB), which no setting raises. */
  readonly memoryCapBytes?: number;
  /** On a GPU: whether sessions are graph-captured (one replay per run) and, if not, why — one line. */
  captureStatus?(): { on: boolean; detail: string } | undefined;
}
