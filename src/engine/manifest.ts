// The run manifest (manifest.json) shared by the CLI and the browser studio, so runs made in either are
// interchangeable: every setting, the backbone's identity, preprocessing, classes in index order, final metrics.
import type { TrainConfig } from './config.ts';

export const MANIFEST_FORMAT = 'vp-studio-run/1';

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  settings: TrainConfig;
  backbone: { file: string; path?: string; sha256: string; family: string; inputSize: number; params: number };
  preprocessing: { inputSize: number; mean: number[]; std: number[]; range: '[0,1]'; resize: 'bilinear'; layout: 'NCHW' };
  /** The deployable model.onnx: `images` [N,3,L,L] (any batch) → `logits` [N,C]; a number instead of 'N' where the
   * backbone fixes the batch, with why in `fixedBatch`. Absent in runs written before it was recorded. */
  model?: { file: 'model.onnx'; input: (number | 'N')[]; output: (number | 'N')[]; fixedBatch?: string };
  classes: string[];
  /** The backbone's own class names (its config.json id2label), index order, when it came with them. */
  sourceClasses?: string[];
  /** What loading did to the backbone file (opset upgrade, fp16 upcast, pinned input size, …), one line each. */
  loading?: string[];
  trainableParameters: number;
  seed: number;
  data: { train: number; val: number; skipped: { path: string; reason: string }[] };
  final: Record<string, unknown>;
  backend: string;
  versions: Record<string, string>;
  created: string;
}

/** Names of the tensors in prompt.safetensors (PyTorch layouts); `mapping` is int32 source indices. */
export const TENSOR_NAMES = ['prompt.B', 'prompt.A', 'prompt.pad_up', 'prompt.pad_down', 'prompt.pad_left', 'prompt.pad_right', 'prompt.tokens', 'prompt.deep', 'head.weight', 'head.bias', 'mapping'] as const;
