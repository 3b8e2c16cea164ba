// The files of a run directory, shared by the CLI and (through the same formats) the browser: metrics.jsonl,
// prompt.safetensors (trained tensors in PyTorch layouts + int32 `mapping`), manifest.json and model.onnx.
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readSafetensors, writeSafetensors } from '../io/safetensors.ts';
import type { HostTensor } from '../io/types.ts';
import type { Tensor } from '../onnx/tensor.ts';
import type { Manifest } from '../engine/manifest.ts';

export type { Manifest };

export const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

export class RunWriter {
  constructor(readonly dir: string) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'metrics.jsonl'), '');
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
  model(bytes: Uint8Array): void {
    writeFileSync(join(this.dir, 'model.onnx'), bytes);
  }
}

export function readTensors(path: string): Record<string, Tensor> {
  const { tensors } = readSafetensors(new Uint8Array(readFileSync(path)));
  const out: Record<string, Tensor> = {};
  for (const [k, v] of Object.entries(tensors)) out[k] = { dtype: v.dtype as Tensor['dtype'], shape: v.shape, data: v.data as Float32Array };
  return out;
}
