// `--ep cpu|webgpu`: which onnxruntime-node execution provider the CLI's steps run on. cpu (the default) keeps
// every tensor in host memory; webgpu runs the same compiled graphs on the GPU through onnxruntime-node's bundled
// native WebGPU EP, parameters and optimiser state staying on the device (src/runtime/node-webgpu.ts).
import type { Executor } from '../engine/executor.ts';
import { NodeExecutor } from '../runtime/node-executor.ts';
import { NodeWebGpuExecutor } from '../runtime/node-webgpu.ts';
import { CliError } from './util.ts';

export const EP_HELP = 'execution provider: cpu, or webgpu (onnxruntime-node\'s native WebGPU EP: Vulkan, Metal or D3D12)';

export const VERBOSE_HELP = 'onnxruntime\'s verbose log on stderr (which EP runs each node, its graph optimisations)';

/** The executor for --ep; its one-line notes (on webgpu: some nodes fell back to the CPU EP) go to stderr. */
export async function openExecutor(ep: string | undefined, threads: number, verbose?: boolean): Promise<Executor> {
  const want = ep ?? 'cpu';
  if (want === 'cpu') return new NodeExecutor(threads, undefined, verbose);
  if (want !== 'webgpu') throw new CliError(`--ep must be cpu or webgpu, got "${want}"`);
  try {
    return await NodeWebGpuExecutor.open({ verbose, notice: (line) => process.stderr.write(`vp-studio: ${line}\n`) });
  } catch (e) {
    throw new CliError((e as Error).message);
  }
}
