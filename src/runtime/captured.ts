// Graph-captured WebGPU sessions: the device state of a step that onnxruntime-web's native WebGPU EP records once
// and replays (enableGraphCapture) — one fixed GPU buffer per graph input and output, and the feed-back of outputs
// into inputs — so that a replayed step costs the GPU's time, not a JavaScript dispatch per kernel.
// Invariants:
// - a captured session owns one GPU buffer per graph input and per graph output, created at its first run from the
//   feeds' types and shapes and the graph's static output shapes; onnxruntime-web binds a captured session's inputs
//   and outputs once (on that first run) and every replay reads and writes exactly those buffers;
// - those buffers are allocated by onnxruntime itself (the outputs of a one-off session, `Alloc`): onnxruntime-web
//   registers a buffer it created for good, but one of ours only for the length of a run — after the first run
//   the binding would point at a released buffer and the first replay aborts (measured: "unreachable");
// - run(feeds) first writes every feed into its input buffer — a host tensor with queue.writeBuffer, a device handle
//   with copyBufferToBuffer — on the device's one queue, so writes, copies and the replay execute in that order;
// - a handle on a fixed buffer stays what it was when returned: before a buffer is overwritten, every live handle on
//   it (returned and not yet disposed) moves — a fed-back output handle onto the input buffer it was just copied
//   into (equal contents; no run writes its inputs), any other onto a fresh copy of its own — so no handle ever
//   reads a later step's values and the trainer never needs to know that buffers are fixed;
// - dispose() of a handle on a fixed buffer only forgets it; release() destroys the session's buffers.
import type * as OrtModule from 'onnxruntime-web/webgpu';

type Ort = typeof OrtModule;
type OrtTensor = OrtModule.Tensor;

/** The few WebGPU calls this module makes (the DOM typings here carry no WebGPU). */
export interface GpuBufferLike { readonly size: number; destroy(): void; mapAsync(mode: number): Promise<void>; getMappedRange(): ArrayBuffer; unmap(): void }
interface GpuEncoderLike { copyBufferToBuffer(src: GpuBufferLike, srcOffset: number, dst: GpuBufferLike, dstOffset: number, size: number): void; finish(): unknown }
export interface GpuDeviceLike {
  createBuffer(d: { size: number; usage: number }): GpuBufferLike;
  createCommandEncoder(): GpuEncoderLike;
  readonly queue: { writeBuffer(b: GpuBufferLike, offset: number, data: ArrayBufferView): void; submit(cmds: unknown[]): void };
}
const MAP_READ = 0x1, COPY_SRC = 0x4, COPY_DST = 0x8, STORAGE = 0x80;
const align = (n: number) => Math.max(16, Math.ceil(n / 16) * 16);

/** A tensor handle of the web executor; `slot` is set while it points at a captured session's fixed buffer, and
 * `device` while its GPU buffer lives on a captured session's own device (undefined: onnxruntime's default one). */
export class WebHandle {
  readonly __handle = true as const;
  /** Its values once read to the host (see hostData). */
  host: ArrayBufferView | undefined;
  constructor(public t: OrtTensor, public slot?: Slot, public device?: GpuDeviceLike) {}
}

/** A handle's values on the host. A handle's values never change (moving it keeps them), so the one read is kept:
 * parameters fed to every evaluation batch on another device are read back once, not once a batch. */
export async function hostData(h: WebHandle): Promise<ArrayBufferView> {
  if (h.t.location === 'cpu' || h.t.location === 'cpu-pinned') return h.t.data as ArrayBufferView;
  h.host ??= (h.slot ? await h.slot.read() : await h.t.getData()) as ArrayBufferView;
  return h.host;
}

/** A fixed buffer. Its tensor is never read with getData(): onnxruntime's Tensor turns itself into a CPU tensor
 * after a download, and a captured session must be fed the same GPU tensors every run — reads go through read(). */
export interface Slot { name: string; output: boolean; buffer: GpuBufferLike; bytes: number; tensor: OrtTensor; live: Set<WebHandle>; read(): Promise<OrtModule.Tensor.DataType> }

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint32: 4, int64: 8, uint64: 8, float16: 2, bool: 1, uint8: 1, int8: 1 };

/** Reads `bytes` of a GPU buffer back through a mappable staging buffer. */
export async function readBuffer(device: GpuDeviceLike, src: GpuBufferLike, bytes: number): Promise<ArrayBuffer> {
  const staging = device.createBuffer({ size: align(bytes), usage: MAP_READ | COPY_DST });
  const enc = device.createCommandEncoder();
  enc.copyBufferToBuffer(src, 0, staging, 0, align(bytes));
  device.queue.submit([enc.finish()]);
  await staging.mapAsync(MAP_READ);
  const out = staging.getMappedRange().slice(0, bytes);
  staging.unmap();
  staging.destroy();
  return out;
}

const ARRAYS = { float32: Float32Array, int32: Int32Array, uint32: Uint32Array, int64: BigInt64Array, uint64: BigUint64Array, uint8: Uint8Array, int8: Int8Array, bool: Uint8Array } as const;

/** Allocates GPU tensors of the given types and shapes that onnxruntime created (see the header); `release` frees them. */
export type Alloc = (specs: { type: string; dims: readonly number[] }[]) => Promise<{ tensors: OrtTensor[]; release(): Promise<void> }>;

export class CapturedSession {
  private inputs = new Map<string, Slot>();
  private outputs = new Map<string, Slot>();
  /** The same feeds and fetches every run: the slots' tensors, by name. */
  private feeds: Record<string, OrtTensor> = {};
  private fetches: Record<string, OrtTensor> = {};
  private ready = false;
  private freeBuffers: (() => Promise<void>) | undefined;

  constructor(private ort: Ort, private device: GpuDeviceLike, private session: OrtModule.InferenceSession, private alloc: Alloc) {}

  /** Reads `bytes` of `buffer` back as a typed array of `type`. */
  private reader(buffer: GpuBufferLike, type: string, bytes: number): () => Promise<OrtModule.Tensor.DataType> {
    const Arr = ARRAYS[type as keyof typeof ARRAYS];
    if (!Arr) throw new Error(`graph capture: no GPU tensors of type ${type}`);
    return async () => new Arr(await readBuffer(this.device, buffer, bytes)) as never;
  }

  /** A GPU tensor over `buffer` whose getData() reads it back and whose dispose() destroys it when `owned`. */
  private tensorOver(buffer: GpuBufferLike, type: string, dims: readonly number[], bytes: number, owned: boolean): OrtTensor {
    return this.ort.Tensor.fromGpuBuffer(buffer as never, {
      dataType: type as 'float32', dims, download: this.reader(buffer, type, bytes) as never,
      dispose: owned ? () => buffer.destroy() : undefined,
    });
  }

  private slot(name: string, t: OrtTensor, output: boolean): Slot {
    const type = t.type, dims = t.dims, per = BYTES[type];
    if (!per) throw new Error(`graph capture: '${name}' has type ${type}, which has no GPU buffer here`);
    const bytes = dims.reduce((a, b) => a * b, 1) * per;
    const buffer = t.gpuBuffer as unknown as GpuBufferLike;
    return { name, output, buffer, bytes, tensor: this.tensorOver(buffer, type, dims, bytes, false), live: new Set(), read: this.reader(buffer, type, bytes) };
  }

  /** Creates the fixed buffers from the first feeds and the graph's output shapes (which must be static). */
  private async allocate(feeds: Record<string, WebHandle>): Promise<void> {
    const specs: { name: string; type: string; dims: readonly number[] }[] = [];
    for (const name of this.session.inputNames) {
      const h = feeds[name];
      if (!h) throw new Error(`graph capture: no feed for input '${name}'`);
      specs.push({ name, type: h.t.type, dims: h.t.dims });
    }
    for (const m of this.session.outputMetadata) {
      if (!m.isTensor || m.shape.some((d) => typeof d !== 'number')) throw new Error(`graph capture: output '${m.name}' has no static shape`);
      specs.push({ name: m.name, type: m.type, dims: m.shape as number[] });
    }
    const { tensors, release } = await this.alloc(specs);
    this.freeBuffers = release;
    const nIn = this.session.inputNames.length;
    specs.forEach((s, i) => (i < nIn ? this.inputs : this.outputs).set(s.name, this.slot(s.name, tensors[i], i >= nIn)));
    for (const [name, slot] of this.inputs) this.feeds[name] = slot.tensor;
    for (const [name, slot] of this.outputs) this.fetches[name] = slot.tensor;
    this.ready = true;
  }

  /** Moves a live handle off a buffer about to be overwritten, onto a fresh copy of its own. */
  private evacuate(h: WebHandle, from: Slot, enc: GpuEncoderLike): void {
    const copy = this.device.createBuffer({ size: align(from.bytes), usage: STORAGE | COPY_SRC | COPY_DST });
    enc.copyBufferToBuffer(from.buffer, 0, copy, 0, align(from.bytes));
    from.live.delete(h);
    h.t = this.tensorOver(copy, h.t.type, h.t.dims, from.bytes, true);
    h.slot = undefined;
    h.device = this.device;
  }

  async run(feeds: Record<string, WebHandle>): Promise<Record<string, WebHandle>> {
    if (!this.ready) await this.allocate(feeds);
    const q = this.device.queue;
    // 1. live handles on buffers this run overwrites move first (those fed back here move onto their input buffer)
    const fedFrom = new Map<WebHandle, Slot>();
    for (const [name, slot] of this.inputs) fedFrom.set(feeds[name], slot);
    let keep: GpuEncoderLike | undefined;   // encoders only when there is something to copy (most steps: none)
    for (const [name, slot] of this.inputs) {
      for (const h of slot.live) if (h !== feeds[name]) this.evacuate(h, slot, keep ??= this.device.createCommandEncoder());
    }
    for (const slot of this.outputs.values()) {
      for (const h of slot.live) if (!fedFrom.has(h)) this.evacuate(h, slot, keep ??= this.device.createCommandEncoder());
    }
    if (keep) q.submit([keep.finish()]);
    // 2. the feeds into the input buffers
    let enc: GpuEncoderLike | undefined;
    for (const [name, slot] of this.inputs) {
      const h = feeds[name];
      if (h.slot === slot) continue;
      const bytes = slot.bytes;
      if (h.t.dims.length !== slot.tensor.dims.length || h.t.dims.some((d, i) => d !== slot.tensor.dims[i]) || h.t.type !== slot.tensor.type) {
        throw new Error(`graph capture: '${name}' was ${slot.tensor.type}[${slot.tensor.dims}] when captured, now ${h.t.type}[${h.t.dims}]`);
      }
      if (h.t.location === 'gpu-buffer' && h.device === this.device) (enc ??= this.device.createCommandEncoder()).copyBufferToBuffer(h.t.gpuBuffer as never, 0, slot.buffer, 0, Math.ceil(bytes / 4) * 4);
      else {
        // a host tensor, or a GPU one on another device (through the host)
        const d = await hostData(h);
        const raw = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
        q.writeBuffer(slot.buffer, 0, raw.byteLength % 4 ? Uint8Array.from({ length: Math.ceil(raw.byteLength / 4) * 4 }, (_, i) => raw[i] ?? 0) : raw);
      }
    }
    if (enc) q.submit([enc.finish()]);
    // 3. fed-back output handles now equal their input buffer's contents: they move there
    for (const [h, slot] of fedFrom) {
      if (h.slot && h.slot !== slot && h.slot.output && this.outputs.get(h.slot.name) === h.slot) { h.slot.live.delete(h); h.t = slot.tensor; h.slot = slot; h.device = this.device; slot.live.add(h); }
    }
    // 4. the replay (the first run records it)
    await this.session.run(this.feeds, this.fetches);
    const out: Record<string, WebHandle> = {};
    for (const [name, slot] of this.outputs) { const h = new WebHandle(slot.tensor, slot, this.device); slot.live.add(h); out[name] = h; }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
    // handles still alive keep their values: they move to copies of their own before the buffers go
    let enc: GpuEncoderLike | undefined;
    for (const slot of [...this.inputs.values(), ...this.outputs.values()]) for (const h of slot.live) this.evacuate(h, slot, enc ??= this.device.createCommandEncoder());
    if (enc) this.device.queue.submit([enc.finish()]);
    this.inputs.clear(); this.outputs.clear();
    await this.freeBuffers?.();
  }
}
