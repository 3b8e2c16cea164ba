// The files of a run directory, shared by the CLI and (through the same formats) the browser: metrics.jsonl,
// prompt.safetensors (trained tensors in PyTorch layouts + int32 `mapping`), manifest.json and model.onnx.
import { createHash } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileFormatError } from '../io/file-error.ts';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import { CHECKPOINT_FORMAT } from '../io/schemas/manifest.ts';
import { decodeCheckpoint, encodeCheckpoint, type CheckpointMeta } from '../engine/checkpoint-file.ts';
import type { TrainFlags } from '../engine/run-flags.ts';
import type { HostTensor } from '../io/types.ts';
import type { SessionModel } from '../onnx/external.ts';
import type { Tensor } from '../onnx/tensor.ts';
import type { Manifest } from '../engine/manifest.ts';
import type { Checkpoint } from '../engine/trainer.ts';
import { writeModelFiles } from './external-files.ts';
import { readFileOrFail } from './util.ts';

export type { Manifest };

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');


export class RunWriter {
  /** Starts a run directory; when resuming, keeps the metrics of the epochs before `keepEpochs`. */
  constructor(readonly dir: string, keepEpochs?: number) {
    mkdirSync(dir, { recursive: true });
    const path = join(dir, 'metrics.jsonl');
    if (keepEpochs !== undefined && existsSync(path)) {
      // a process killed mid-append leaves a torn last line: it is dropped with the epochs being repeated
      const epochOf = (l: string) => { try { return (JSON.parse(l) as { epoch: number }).epoch; } catch { return Infinity; } };
      const kept = readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() && epochOf(l) < keepEpochs);
      writeFileSync(path, kept.map((l) => l + '\n').join(''));
    } else writeFileSync(path, '');
  }
  /** Writes checkpoint.safetensors + checkpoint.json (each via a temporary file and a rename). The safetensors
   * file carries the whole checkpoint (checkpoint.json's contents in its metadata), so a process killed between
   * the two renames never leaves a tensors file of one epoch beside the step and random state of another. */
  checkpoint(ck: Checkpoint, flags: TrainFlags, about: Pick<CheckpointMeta, 'classes' | 'backbone' | 'data'> = {}): void {
    const meta: CheckpointMeta = { format: CHECKPOINT_FORMAT, flags, epoch: ck.epoch, step: ck.step, rngState: ck.rngState, epochs: ck.epochs, ...about };
    const tensors = Object.fromEntries(Object.entries(ck.tensors).map(([k, v]) => [k, { shape: v.shape, data: v.data as Float32Array }]));
    const tmp = join(this.dir, 'checkpoint.safetensors.tmp');
    writeFileSync(tmp, encodeCheckpoint({ tensors, mapping: ck.mapping }, meta));
    renameSync(tmp, join(this.dir, 'checkpoint.safetensors'));
    writeFileSync(join(this.dir, 'checkpoint.json.tmp'), JSON.stringify(meta) + '\n');
    renameSync(join(this.dir, 'checkpoint.json.tmp'), join(this.dir, 'checkpoint.json'));
  }
  metric(obj: Record<string, unknown>): void {
    appendFileSync(join(this.dir, 'metrics.jsonl'), JSON.stringify(obj) + '\n');
  }
  tensors(params: Record<string, Tensor>, mapping: Int32Array | undefined, meta: Record<string, string>): void {
    const t: Record<string, HostTensor> = {};
    for (const [k, v] of Object.entries(params)) t[k] = { dtype: 'float32', shape: v.shape, data: v.data as Float32Array };
    if (mapping) t.mapping = { dtype: 'int32', shape: [mapping.length], data: mapping };
    writeFileSync(join(this.dir, 'prompt.safetensors'), writeSafetensors(t, meta));
  }
  manifest(m: Manifest): void {
    writeFileSync(join(this.dir, 'manifest.json'), JSON.stringify(m, null, 2) + '\n');
  }
  /** The deployable model (over 2 GiB of weights: with model.onnx_data beside it). */
  model(m: SessionModel): void {
    writeModelFiles(join(this.dir, 'model.onnx'), m);
  }
}

export function readTensors(path: string): Record<string, Tensor> {
  return tensorsOf(readSafetensorsFile(path));
}

/** A safetensors file, its one-line errors naming the file. */
function readSafetensorsFile(path: string): ReturnType<typeof readSafetensors> {
  const bytes = readFileOrFail(path, 'tensors');
  try { return readSafetensors(bytes); } catch (e) { throw new FileFormatError(`${path}: ${(e as Error).message.replace(/^safetensors: /, '')}`); }
}

function tensorsOf({ tensors }: { tensors: Record<string, HostTensor> }): Record<string, Tensor> {
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tensors)) out[k] = { dtype: v.dtype as Tensor['dtype'], shape: v.shape, data: v.data as Float32Array };
  return out;
}

/** Reads a run's checkpoint back (for --resume): checkpoint.safetensors, which carries its metadata (checkpoint.json
 * is read only for files older than that, and is not needed beside one exported by the studio). */
export function readCheckpoint(dir: string): { meta: CheckpointMeta; ck: Checkpoint } {
  const jp = join(dir, 'checkpoint.json'), tp = join(dir, 'checkpoint.safetensors');
  if (!existsSync(tp)) throw new Error(`--resume ${dir}: no checkpoint.safetensors (a run writes one after every epoch; the studio exports it from Results)`);
  const fallback = existsSync(jp) ? { bytes: readFileOrFail(jp, 'checkpoint'), file: jp } : undefined;
  const { meta, tensors, mapping } = decodeCheckpoint(readFileOrFail(tp, 'checkpoint'), tp, fallback);
  return { meta, ck: { epoch: meta.epoch, step: meta.step, rngState: meta.rngState, epochs: meta.epochs, tensors: tensorsOf({ tensors: Object.fromEntries(Object.entries(tensors).map(([k, v]) => [k, { dtype: 'float32' as const, ...v }])) }), mapping } };
}
