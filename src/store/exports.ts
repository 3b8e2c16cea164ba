// Run files in the CLI's formats (src/cli/run-files.ts, src/engine/manifest.ts), so a run made in the browser
// and one made by `vp-studio train` are interchangeable: prompt.safetensors (trained tensors in PyTorch layouts,
// int32 `mapping`, metadata method/head/classes) and manifest.json.
import { writeSafetensors } from '../io/safetensors.ts';
import type { HostTensor } from '../io/types.ts';
import { MANIFEST_FORMAT, type Manifest } from '../engine/manifest.ts';
import type { RunRecord } from '../persist/runs.ts';
import type { WireTensor } from '../worker/protocol.ts';

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
