// What a failure during a run means for the person training: onnxruntime's raw messages ("Non-zero status code
// returned while running FusedConv node … Tensor storage size overflowed", std::bad_alloc, a lost GPU device) become
// one sentence that says what to change; the raw text is kept apart as `detail` (for a bug report), never shown as
// the message. The studio's own messages (a setting the engine refuses, "load a dataset first") are sentences
// already and pass through.
import { ConfigError } from '../engine/config.ts';

/** The run's settings and backend, to name what to change. */
export interface ErrorContext { batchSize?: number; microBatch?: number; ep?: 'webgpu' | 'wasm' }

export interface Explained { message: string; detail?: string }

const smaller = (c: ErrorContext) =>
  c.batchSize ? `lower the batch size (now ${c.batchSize}${c.microBatch ? `, micro-batch ${c.microBatch}` : ''}) or set a smaller micro-batch` : 'lower the batch size or set a micro-batch';

/** Known onnxruntime / browser failures, first match wins. */
const KNOWN: { test: RegExp; say: (c: ErrorContext) => string }[] = [
  { test: /storage size overflow|SafeInt|integer overflow|size overflow/i,
    say: (c) => `A tensor of this training step is too large for onnxruntime: ${smaller(c)}.` },
  { test: /device (?:was |is |has been )?lost|GPUDevice.*lost|DeviceLost|context lost/i,
    say: () => 'The GPU stopped responding (its device was lost): reload the page, then train with a smaller batch or GPU memory budget, or switch the backend to wasm (CPU).' },
  { test: /maxStorageBufferBindingSize|maxBufferSize|exceeds the max(?:imum)? buffer|buffer size .*(?:exceed|too large|limit)/i,
    say: (c) => `A tensor is larger than this GPU can hold in one buffer: ${smaller(c)}.` },
  { test: /out of memory|bad_alloc|failed to allocate|could not allocate|cannot enlarge memory|allocation failed|\bOOM\b|memory access out of bounds|Aborted\(OOM\)/i,
    say: (c) => `The training step ran out of memory: ${smaller(c)}${c.ep === 'webgpu' ? ', or lower the GPU memory budget' : ''}.` },
  { test: /NOT_IMPLEMENTED|not implemented|could not find an implementation|is not supported|unsupported op/i,
    say: (c) => `onnxruntime cannot run one of this step's operations on ${c.ep === 'webgpu' ? 'WebGPU' : 'this backend'}: ${c.ep === 'webgpu' ? 'switch the backend to wasm (CPU)' : 'choose another method or backbone'}.` },
];

/** Marks of a message that comes from onnxruntime or the platform rather than from the studio. */
const RAW = /OrtRun|ERROR_CODE|ERROR_MESSAGE|Non-zero status|onnxruntime|Status Message|RUNTIME_EXCEPTION|\bORT\b|Aborted\(|\[E:|WebGPU|GPUBuffer|wasm/i;
const RAW_NAMES = new Set(['TypeError', 'RangeError', 'ReferenceError', 'RuntimeError', 'CompileError', 'LinkError', 'OperationError', 'AbortError', 'DataCloneError']);

const FALLBACK = (c: ErrorContext) =>
  `Training failed inside onnxruntime: try a smaller batch size${c.ep === 'webgpu' ? ', a smaller GPU memory budget, or the wasm (CPU) backend' : ' or a smaller backbone'}, and reload the page if it happens again.`;

/** One sentence for a failure during a run (or an evaluation), and the raw text as `detail` when it was rewritten. */
export function explainError(e: unknown, c: ErrorContext = {}): Explained {
  const raw = e instanceof Error ? e.message : String(e);
  if (e instanceof ConfigError) return { message: raw };
  const known = KNOWN.find((k) => k.test.test(raw));
  if (known) return { message: known.say(c), detail: raw };
  const name = e instanceof Error ? e.name : '';
  const firstLine = raw.split('\n')[0].trim();
  if (RAW.test(raw) || RAW_NAMES.has(name) || raw.length > 300 || firstLine === '') return { message: FALLBACK(c), detail: raw };
  return firstLine === raw ? { message: raw } : { message: firstLine, detail: raw };
}
