// Where onnxruntime places a GPU session's nodes: the session is first created with onnxruntime's CPU fallback
// disabled (session config `session.disable_cpu_ep_fallback`); if it refuses because some node has no kernel on the
// GPU EP, it is created again with the fallback, and the caller is told, so that it can say so — such a session
// copies tensors between the CPU and the GPU on every run (and cannot be graph-captured).
// Shared by the Node (node-webgpu.ts) and browser (web-executor.ts) WebGPU executors; no onnxruntime import.

const REFUSED = /assigned to the default CPU EP, but fallback to CPU EP has been explicitly disabled/;

/** `create(strict)`: the session with (strict) or without the CPU fallback disabled — for strict, pass
 * `{ extra: NO_CPU_FALLBACK }` in the session options. */
export async function createPreferringGpu<S>(create: (strict: boolean) => Promise<S>): Promise<{ session: S; cpuFallback: boolean }> {
  try {
    return { session: await create(true), cpuFallback: false };
  } catch (e) {
    if (!REFUSED.test(e instanceof Error ? e.message : String(e))) throw e;
    return { session: await create(false), cpuFallback: true };
  }
}

export const NO_CPU_FALLBACK = { session: { disable_cpu_ep_fallback: '1' } };
