// What a browser scope (page or worker) can tell about its memory, for the step benchmark (every figure optional):
// - uaMemoryMb: performance.measureUserAgentSpecificMemory(), the page with its workers (cross-origin isolated
//   pages; Chromium has it on the page, not in dedicated workers). Chromium resolves it at its next GC unless
//   started with --enable-blink-features=ForceEagerMeasureMemory, and once onnxruntime-web's wasm threads exist it
//   has been seen to take a minute, or to answer with the page alone: the wait is bounded, and the page's answer
//   can be required to cover a worker;
// - jsHeapMb, when there is no such measurement: performance.memory.usedJSHeapSize (Chromium; the measuring
//   scope's own heap);
// - wasmMb: the WebAssembly memories this scope created (onnxruntime-web's wasm heap); linear memory never
//   shrinks, so this is the heap's peak over the scope's life.
import type { BenchMemory } from './protocol.ts';

const MB = 2 ** 20;
const mb = (bytes: number) => Math.round((bytes / MB) * 10) / 10;

/** Whether a measurement's breakdown attributes memory to a scope of this kind (e.g. the page's worker). */
const attributes = (r: object, scope: string): boolean =>
  'breakdown' in r && Array.isArray(r.breakdown) && r.breakdown.some((b: unknown) =>
    !!b && typeof b === 'object' && 'attribution' in b && Array.isArray(b.attribution) && b.attribution.some((a: unknown) => !!a && typeof a === 'object' && 'scope' in a && a.scope === scope));

/** measureUserAgentSpecificMemory()'s total bytes, or undefined where the scope lacks it, it fails, it takes longer
 * than `waitMs`, or its breakdown has nothing from a `needScope` scope (Chromium may answer without the workers). */
async function uaBytes(waitMs: number, needScope: string | undefined): Promise<number | undefined> {
  const p: object = performance;
  if (!('measureUserAgentSpecificMemory' in p) || typeof p.measureUserAgentSpecificMemory !== 'function') return undefined;
  if (typeof crossOriginIsolated !== 'boolean' || !crossOriginIsolated) return undefined;
  let timer: Parameters<typeof clearTimeout>[0];
  try {
    const measured: Promise<unknown> = p.measureUserAgentSpecificMemory();
    const r = await Promise.race([measured, new Promise<undefined>((done) => { timer = setTimeout(done, waitMs); })]);
    if (!r || typeof r !== 'object' || !('bytes' in r) || typeof r.bytes !== 'number') return undefined;
    return needScope === undefined || attributes(r, needScope) ? r.bytes : undefined;
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
}

/** performance.memory.usedJSHeapSize (Chromium's non-standard heap figure of this scope's isolate). */
function heapBytes(): number | undefined {
  const p: object = performance;
  const m: unknown = 'memory' in p ? p.memory : undefined;
  return m && typeof m === 'object' && 'usedJSHeapSize' in m && typeof m.usedJSHeapSize === 'number' ? m.usedJSHeapSize : undefined;
}

const memories: WeakRef<WebAssembly.Memory>[] = [];
let tracking = false;

/** From now on, remembers every WebAssembly.Memory this scope constructs (onnxruntime-web's threaded build makes
 * its heap with `new WebAssembly.Memory`), for `wasmMb`. Call it before the runtime first starts. */
export function trackWasmMemory(): void {
  if (tracking || typeof WebAssembly === 'undefined') return;
  tracking = true;
  const Native = WebAssembly.Memory;
  WebAssembly.Memory = class extends Native {
    constructor(d: WebAssembly.MemoryDescriptor) {
      super(d);
      memories.push(new WeakRef(this));
    }
  };
}

function wasmBytes(): number | undefined {
  const live = memories.map((r) => r.deref()).filter((m): m is WebAssembly.Memory => m !== undefined);
  return live.length ? live.reduce((a, m) => a + m.buffer.byteLength, 0) : undefined;
}

/** This scope's memory figures (MiB, one decimal): the user-agent measurement if the scope has it (waiting at most
 * `uaWaitMs`; with `needScope`, only a measurement that covers such a scope, e.g. 'DedicatedWorkerGlobalScope'),
 * else the JS heap, plus the tracked wasm memories. Fields the scope cannot tell are absent. */
export async function scopeMemory(o: { uaWaitMs?: number; needScope?: string } = {}): Promise<BenchMemory> {
  const out: BenchMemory = {};
  const wasm = wasmBytes();
  if (wasm !== undefined) out.wasmMb = mb(wasm);
  const ua = await uaBytes(o.uaWaitMs ?? 3000, o.needScope);
  if (ua !== undefined) out.uaMemoryMb = mb(ua);
  else {
    const heap = heapBytes();
    if (heap !== undefined) out.jsHeapMb = mb(heap);
  }
  return out;
}
