// checkpoint.safetensors: a run's last end-of-epoch state in one file — the trainable tensors, the optimiser's
// (`state.<name>.<m|v|buf|step>`), the int32 `mapping`, and under the metadata key `vp-studio-checkpoint` the JSON that
// checkpoint.json also holds (flags, epoch, step, rng state, per-epoch metrics; and since checkpoints travel, the
// classes, the backbone's identity and the data counts). The studio, the CLI (src/cli/run-files.ts) and PyTorch
// (python/vp_studio/runfiles.py) write and read it the same way, so a run made by any of them continues in any other.
// Invariants: the tensors and the metadata of one file are always of the same epoch; decode refuses anything the
// schema does not accept, in one line naming the file.
import { FileFormatError } from '../io/file-error.ts';
import { readJson } from '../io/json.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { CHECKPOINT_FORMAT, checkpointSchema } from '../io/schemas/manifest.ts';
import type { HostTensor } from '../io/types.ts';
import type { TrainFlags } from './run-flags.ts';
import type { EpochMetrics } from './trainer.ts';

export const CHECKPOINT_KEY = 'vp-studio-checkpoint';

export interface CheckpointMeta {
  format: typeof CHECKPOINT_FORMAT;
  flags: TrainFlags;
  /** Epochs completed. */
  epoch: number;
  step: number;
  rngState: number[];
  epochs: EpochMetrics[];
  classes?: string[];
  backbone?: { file: string; sha256: string | null; family: string; inputSize: number };
  data?: { train: number; val: number };
}

export interface CheckpointTensors { tensors: Record<string, { shape: number[]; data: Float32Array }>; mapping?: ArrayLike<number> }

export function encodeCheckpoint(state: CheckpointTensors, meta: CheckpointMeta): Uint8Array {
  const t: Record<string, HostTensor> = {};
  for (const [k, v] of Object.entries(state.tensors)) t[k] = { dtype: 'float32', shape: v.shape, data: v.data };
  if (state.mapping) t.mapping = { dtype: 'int32', shape: [state.mapping.length], data: Int32Array.from(state.mapping) };
  return writeSafetensors(t, { [CHECKPOINT_KEY]: JSON.stringify(meta) });
}

/** A checkpoint.safetensors read and checked; `fallbackJson`: checkpoint.json's bytes, for files older than the
 * metadata key. */
export function decodeCheckpoint(bytes: Uint8Array, file = 'checkpoint.safetensors', fallbackJson?: { bytes: Uint8Array; file: string }): { meta: CheckpointMeta; tensors: Record<string, { shape: number[]; data: Float32Array }>; mapping: Int32Array | undefined } {
  let st: ReturnType<typeof readSafetensors>;
  try { st = readSafetensors(bytes); } catch (e) { throw new FileFormatError(`${file}: ${(e as Error).message.replace(/^safetensors: /, '')}`); }
  const inTensors = st.metadata[CHECKPOINT_KEY];
  if (inTensors === undefined && !fallbackJson) throw new FileFormatError(`${file}: no '${CHECKPOINT_KEY}' metadata — not a checkpoint written by vp-studio (a prompt.safetensors is not a checkpoint)`);
  const meta = (inTensors !== undefined ? readJson(checkpointSchema, inTensors, `${file} (its checkpoint metadata)`) : readJson(checkpointSchema, fallbackJson!.bytes, fallbackJson!.file)) as unknown as CheckpointMeta;
  const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
  let mapping: Int32Array | undefined;
  for (const [k, v] of Object.entries(st.tensors)) {
    if (k === 'mapping') { mapping = Int32Array.from(v.data as ArrayLike<number>); continue; }
    if (!(v.data instanceof Float32Array)) throw new FileFormatError(`${file}: tensor '${k}' is ${v.dtype}, float32 expected`);
    tensors[k] = { shape: v.shape, data: v.data };
  }
  return { meta, tensors, mapping };
}

/** Why a checkpoint must not continue on this data, or undefined: other classes (or their order), or another number
 * of training or validation images (the run's split, batches and learning-rate schedule would not be its own). */
export function otherDataProblem(meta: Pick<CheckpointMeta, 'classes' | 'data'>, classes: string[], train: number, val: number): string | undefined {
  if (meta.classes && meta.classes.join('\u0000') !== classes.join('\u0000')) return `the run was trained on the classes ${meta.classes.join(', ')}; this data has ${classes.join(', ')}`;
  if (meta.data && (meta.data.train !== train || meta.data.val !== val)) {
    return `the run was trained on ${meta.data.train} training / ${meta.data.val} validation images; this data gives ${train} / ${val} — continue it on the same images`;
  }
  return undefined;
}
