// The training worker's entry: wires the handler to this worker's postMessage, the browser image codec and an
// onnxruntime-web executor chosen by the frozen capabilities object, and this worker's memory figures for the step
// benchmark. onnxruntime's wasm threads load this same bundle as their worker script (named "em-pthread…"); there
// the handler must not take over onmessage.
import { browserCodec } from '../data/decode-browser.ts';
import { detectCapabilities, runtimeVersion, WebExecutor } from '../runtime/web-executor.ts';
import { Handler } from './handler.ts';
import { scopeMemory, trackWasmMemory } from './memory.ts';
import type { Request, Response } from './protocol.ts';

if (!self.name.startsWith('em-pthread')) {
  trackWasmMemory();
  const handler = new Handler((msg: Response, transfer: Transferable[] = []) => self.postMessage(msg, { transfer }), {
    codec: browserCodec,
    async createBackend(choice, o) {
      const caps = await detectCapabilities(choice, o.verbose, o.threads, o.build, o.capture ?? 'on');
      return { executor: new WebExecutor(caps), runtime: runtimeVersion(), ep: caps.ep, crossOriginIsolated: caps.crossOriginIsolated, threads: caps.threads };
    },
    memory: () => scopeMemory(),
  });
  self.onmessage = (e: MessageEvent<Request>) => void handler.handle(e.data);
}
