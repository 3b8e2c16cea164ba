// Run files in the CLI's formats (src/cli/run-files.ts, src/engine/manifest.ts), so a run made in the browser
// and one made by `vp-studio train` are interchangeable: prompt.safetensors (trained tensors in PyTorch layouts,
// int32 `mapping`, metadata method/head/classes), manifest.json, and checkpoint.safetensors (the last end-of-epoch
// state, src/engine/checkpoint-file.ts), which `--resume` continues in the CLI or in PyTorch.
import { encodeCheckpoint } from '../engine/checkpoint-file.ts';
import { flagsOfConfig } from '../engine/run-flags.ts';
import { CHECKPOINT_FORMAT } from '../io/schemas/manifest.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import type { HostTensor } from '../io/types.ts';
import { MANIFEST_FORMAT, type Manifest } from '../engine/manifest.ts';
import type { RunRecord } from '../persist/runs.ts';
import type { WireCheckpoint, WireTensor } from '../worker/protocol.ts';

export function promptSafetensors(params: Record<string, WireTensor>, mapping: number[] | undefined, r: Pick<RunRecord, 'cfg' | 'classes'>): Uint8Array {
  const t: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(params)) {
    if (k === 'mapping') continue;
    t[k] = v.data instanceof Float32Array ? { dtype: 'float32', shape: v.shape, data: v.data } : { dtype: 'int32', shape: v.shape, data: v.data };
  }
  if (mapping) t.mapping = { dtype: 'int32', shape: [mapping.length], data: Int32Array.from(mapping) };
  return writeSafetensors(t, { method: r.cfg.method, head: r.cfg.head, classes: JSON.stringify(r.classes) });
}

export function buildManifest(r: RunRecord, versions: Record<string, string>): Manifest {
  const last = r.epochs[r.epochs.length - 1];
  const best = Math.max(...r.epochs.map((e) => e.val_acc ?? -1), -1);
  const info = r.backbone.info;
  return {
    format: MANIFEST_FORMAT,
    settings: r.cfg,
    backbone: { file: r.backbone.name, sha256: r.backbone.sha256, family: info.family, inputSize: info.inputSize, params: info.params },
    preprocessing: { inputSize: info.inputSize, mean: r.cfg.mean, std: r.cfg.std, range: '[0,1]', resize: 'bilinear', layout: 'NCHW' },
    classes: r.classes,
    trainableParameters: r.trainable,
    seed: r.cfg.seed,
    data: { train: r.data.train, val: r.data.val, skipped: r.data.skipped },
    final: { ...last, best_val_acc: best >= 0 ? best : null, seconds: r.seconds, steps: r.totalSteps },
    backend: r.backend,
    versions,
    created: r.created,
  };
}

/** checkpoint.safetensors of a studio run. Its flags name the backbone file and the data folder as the studio knew
 * them (names, not paths: the reader passes --model / --data where they are on its machine). */
export function checkpointFile(r: RunRecord, cp: WireCheckpoint): Uint8Array {
  const info = r.backbone.info;
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  for (const [k, t] of Object.entries(cp.tensors)) {
    if (!(t.data instanceof Float32Array)) throw new Error(`checkpoint tensor '${k}' is not float32`);
    tensors[k] = { shape: t.shape, data: t.data };
  }
  return encodeCheckpoint({ tensors, mapping: cp.mapping }, {
    format: CHECKPOINT_FORMAT, flags: flagsOfConfig(r.cfg, { model: r.backbone.name, data: r.data.name, out: '.', inputSize: info.inputSize }),
    epoch: cp.epoch, step: cp.step, rngState: cp.rngState, epochs: cp.epochs, classes: r.classes,
    backbone: { file: r.backbone.name, sha256: r.backbone.sha256, family: info.family, inputSize: info.inputSize },
    data: { train: r.data.train, val: r.data.val },
  });
}
