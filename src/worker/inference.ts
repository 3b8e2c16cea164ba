// Inference with trained tensors inside the worker: evaluate a run (e.g. an imported prompt.safetensors) on the
// current dataset's validation split, and classify single images ("try it") with the deployable model — prompt,
// head and mapping baked into the backbone — kept as one cached session.
import { exportDeployable, type BackboneInfo } from '../engine/compile.ts';
import type { TrainConfig } from '../engine/config.ts';
import type { ExecSession, Executor } from '../engine/executor.ts';
import { resizeSquare } from '../data/augment.ts';
import type { ImageCodec } from '../data/decode-browser.ts';
import type { Tensor } from '../onnx/tensor.ts';
import type { Dataset } from './dataset.ts';
import type { EvaluationSummary, SampleImage, WireTensor } from './protocol.ts';
import { evaluate, fromWire, samplesOf } from './run.ts';

export const paramsFromWire = (p: Record<string, WireTensor>): Record<string, Tensor> => Object.fromEntries(Object.entries(p).filter(([k]) => k !== 'mapping').map(([k, v]) => [k, fromWire(v)]));

export async function evaluateRun(ex: Executor, backbone: Uint8Array, info: BackboneInfo, ds: Dataset, cfg: TrainConfig, classes: string[], params: Record<string, WireTensor>, mapping: number[] | undefined): Promise<{ evaluation: EvaluationSummary; samples: SampleImage[] }> {
  if (classes.join('\u0000') !== ds.folder.classes.join('\u0000')) throw new Error(`the loaded data has classes [${ds.folder.classes.join(', ')}] but the run was trained on [${classes.join(', ')}]`);
  const L = info.inputSize;
  const split = ds.split(cfg.valFraction, cfg.seed);
  const idx = split.val.length ? split.val : split.train;
  const src = ds.source(idx, L, async () => undefined);
  const evaluation = await evaluate({ executor: ex, backbone, cfg }, paramsFromWire(params), mapping && Int32Array.from(mapping), src, L, classes.length, info.numSourceClasses);
  return { evaluation, samples: await samplesOf(ds, idx, L) };
}

/** Classifies single images with one cached deployable session per run key. */
export class Classifier {
  private cached: { key: string; session: ExecSession; input: string; output: string } | undefined;

  async classify(ex: Executor, codec: ImageCodec, backbone: Uint8Array, info: BackboneInfo, key: string, cfg: TrainConfig, numClasses: number, params: Record<string, WireTensor>, mapping: number[] | undefined, image: Blob): Promise<{ probabilities: number[]; preview: SampleImage }> {
    const L = info.inputSize;
    if (this.cached?.key !== key) {
      await this.cached?.session.release();
      this.cached = undefined;
      const model = exportDeployable(backbone, cfg, numClasses, paramsFromWire(params), mapping && Int32Array.from(mapping), info.numSourceClasses, info.fixedBatch ?? 1);
      this.cached = { key, session: await ex.createSession(model), input: 'images', output: 'logits' };
    }
    const B = info.fixedBatch ?? 1;
    const img = resizeSquare(await codec.decode(image, 4 * L), L);
    const x = new Float32Array(B * 3 * L * L);
    x.set(img.data);
    const out = await this.cached.session.run({ [this.cached.input]: ex.upload({ dtype: 'float32', shape: [B, 3, L, L], data: x }) });
    const lg = Array.from(((await ex.download(out[this.cached.output])).data as Float32Array).subarray(0, numClasses));
    const mx = Math.max(...lg), e = lg.map((v) => Math.exp(v - mx)), z = e.reduce((a, b) => a + b, 0);
    return { probabilities: e.map((v) => v / z), preview: { path: 'image', label: -1, size: L, data: img.data.slice() } };
  }
}
