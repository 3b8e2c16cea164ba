// Executor over onnxruntime-node (CPU): handles are ort.Tensors in host memory.
import * as ort from 'onnxruntime-node';
import type { ExecSession, Executor, Handle } from '../engine/executor.ts';
import { modelBytes, withKeptData, type SessionModel } from '../onnx/external.ts';
import type { Tensor } from '../onnx/tensor.ts';
import { execSession, externalDataOption, fromOrt, ortLog, toOrt, unwrap, wrap } from './ort-node.ts';

export class NodeExecutor implements Executor {
  readonly backend = `onnxruntime-node ${ort.env.versions.node} (cpu)`;
  readonly deviceMemory: boolean = false;
  /** @param profilePrefix when set, every session writes onnxruntime's profile (`<prefix>_<time>.json`) on release
   *  @param verbose onnxruntime's verbose log on stderr */
  constructor(private threads = 0, private profilePrefix?: string, private verbose = false) {}

  async createSession(given: SessionModel): Promise<ExecSession> {
    const model = withKeptData(given);
    // no memory pattern: onnxruntime would plan a second copy of every step's activations on the second run
    // (measured: +100% of the first run's growth), which a train step run thousands of times never needs
    const profile = this.profilePrefix ? { enableProfiling: true, profileFilePrefix: this.profilePrefix } : {};
    const s = await ort.InferenceSession.create(modelBytes(model), { graphOptimizationLevel: 'all', intraOpNumThreads: this.threads, enableMemPattern: false, ...profile, ...ortLog(this.verbose), ...externalDataOption(model) });
    const e = execSession(s);
    if (!this.profilePrefix) return e;
    return { ...e, release: async () => { s.endProfiling(); await s.release(); } };
  }
  upload(t: Tensor): Handle { return wrap(toOrt(t)); }
  async download(h: Handle): Promise<Tensor> { return fromOrt(unwrap(h)); }
  dispose(): void {}
}
