// onnxruntime's failures as one sentence that says what to change (the raw text kept as detail); the studio's own
// sentences pass through.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../engine/config.ts';
import { explainError } from './errors.ts';

const FUSED = "failed to call OrtRun(). ERROR_CODE: 1, ERROR_MESSAGE: Non-zero status code returned while running FusedConv node. Name:'/stem/conv/Conv' Status Message: /onnxruntime/core/framework/tensor.cc:57 size_t onnxruntime::Tensor::SizeHelper Calculation for Tensor storage size overflowed";

describe('explainError', () => {
  it('says what to change for a tensor too large for onnxruntime, keeping the raw text as detail', () => {
    const x = explainError(new Error(FUSED), { batchSize: 100000, microBatch: 4000, ep: 'wasm' });
    expect(x.message).toBe('A tensor of this training step is too large for onnxruntime: lower the batch size (now 100000, micro-batch 4000) or set a smaller micro-batch.');
    expect(x.detail).toBe(FUSED);
    expect(x.message.split(/[.:] [A-Z]/)).toHaveLength(1); // one sentence
  });
  it('maps out-of-memory, a lost device and a buffer over the binding limit', () => {
    expect(explainError(new Error('std::bad_alloc'), { batchSize: 32, ep: 'wasm' }).message).toBe('The training step ran out of memory: lower the batch size (now 32) or set a smaller micro-batch.');
    expect(explainError(new Error('Aborted(OOM)'), { batchSize: 32, ep: 'webgpu' }).message).toMatch(/ran out of memory: .*, or lower the GPU memory budget\.$/);
    expect(explainError(new Error("GPUDevice 'x' was lost: reason unknown")).message).toMatch(/^The GPU stopped responding \(its device was lost\): reload the page/);
    expect(explainError(new Error('Buffer size (3221225472) exceeds the max buffer size limit (2147483648).'), { batchSize: 64 }).message).toMatch(/^A tensor is larger than this GPU can hold in one buffer: lower the batch size \(now 64\)/);
    expect(explainError(new Error('[WebGPU] Kernel "[ScatterND] x" is not supported'), { ep: 'webgpu' }).message).toBe("onnxruntime cannot run one of this step's operations on WebGPU: switch the backend to wasm (CPU).");
  });
  it('an unknown onnxruntime or platform failure still says what to try', () => {
    const x = explainError(new Error('failed to call OrtRun(). ERROR_CODE: 6, ERROR_MESSAGE: something odd'), { ep: 'wasm' });
    expect(x.message).toBe('Training failed inside onnxruntime: try a smaller batch size or a smaller backbone, and reload the page if it happens again.');
    expect(explainError(new TypeError("Cannot read properties of undefined (reading 'data')")).detail).toMatch(/^Cannot read/);
    expect(explainError(new Error('x'.repeat(400))).message).toMatch(/^Training failed inside onnxruntime/);
  });
  it('lets the studio\'s own sentences through, first line only', () => {
    expect(explainError(new ConfigError('"learning rate" must be positive, got 0'))).toEqual({ message: '"learning rate" must be positive, got 0' });
    expect(explainError(new Error('load a dataset first'))).toEqual({ message: 'load a dataset first' });
    expect(explainError(new Error('this run has no checkpoint\nat line 2'))).toEqual({ message: 'this run has no checkpoint', detail: 'this run has no checkpoint\nat line 2' });
  });
});
