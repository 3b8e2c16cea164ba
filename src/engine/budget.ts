// Keeps a training step within a memory budget: estimates the full-batch step's peak (src/engine/memory.ts) and,
// when it is over, picks the largest micro-batch (gradient accumulation) whose step fits. The studio applies it
// on WebGPU (a laptop GPU or its share of system memory, and a tab's limits); the CLI with --memory-budget.
import type { Tensor } from '../onnx/tensor.ts';
import { backboneInfo, batchFor, compileAccumulate, compileTrainStep } from './compile.ts';
import type { TrainConfig } from './config.ts';
import { chooseMicroBatch, estimateMemory, formatBytes } from './memory.ts';

/** What the studio allows one step on WebGPU by default: 2 GiB. An integrated GPU takes its memory from system
 * RAM and a browser tab (with the wasm heap capped at 4 GiB) shares it with everything else. */
export const BROWSER_BUDGET_BYTES = 2 * 2 ** 30;

/** The wasm heap of onnxruntime-web: 32-bit addresses, at most 4 GiB. */
export const WASM_HEAP_BYTES = 4 * 2 ** 30;

/**
 * What a step's estimate may be on a memory-capped backend (onnxruntime-web's wasm heap), for a backbone file of
 * `modelBytes`: 5/8 of the cap less the model. Measured in Chromium on ViT-B/16 LoR-VP (`npm run bench:browser`,
 * wasm): the heap peaked at 1,683 MiB for an estimate of 1,043 (batch 8) and 2,449 for 1,758 (batch 16) — about
 * 570 MiB + 1.07 × the estimate — and batch 32 (estimate 3,185 MiB) failed with std::bad_alloc. For ViT-B/16 this
 * allows 2,230 MiB (a heap of about 2.95 GiB), so batch 32 runs as 2 micro-batches of 16.
 */
export function cappedStepBudget(capBytes: number, modelBytes: number): number {
  return Math.max(capBytes * 5 / 8 - modelBytes, 0);
}

export interface BatchPlan {
  /** 0: the whole batch in one step; else the micro-batch to accumulate over. */
  microBatch: number;
  /** Estimated peak of one step as planned, and of the whole batch in one step. */
  peakBytes: number;
  fullPeakBytes: number;
  /** Largest single tensor of the planned step (WebGPU binds each tensor as one buffer). */
  largestTensorBytes: number;
  /** One line for the user when micro-batching was chosen. */
  note: string | undefined;
}

/**
 * The plan under a peak-memory budget and, on a GPU, the largest buffer one shader may bind
 * (`maxBindingBytes`, the adapter's maxStorageBufferBindingSize): a step whose largest tensor is over it is split
 * into more micro-batches until every tensor fits, or refused naming the tensor when one image's is over it.
 */
export function planBatch(bytes: Uint8Array, cfg: TrainConfig, numClasses: number, params: Record<string, Tensor>, budgetBytes: number, maxBindingBytes = Infinity): BatchPlan {
  // a fixed batch that cannot be re-batched: micro-batches of it, whatever the budget (its loading note says so)
  const forced = batchFor(backboneInfo(bytes), cfg.batchSize);
  if (forced !== cfg.batchSize) {
    const e = estimateMemory(compileAccumulate(bytes, cfg, numClasses, forced, params).graph);
    return { microBatch: forced, peakBytes: e.peakBytes, fullPeakBytes: NaN, largestTensorBytes: e.largestTensorBytes, note: undefined };
  }
  const plan = planByPeak(bytes, cfg, numClasses, params, budgetBytes);
  if (plan.largestTensorBytes <= maxBindingBytes) return plan;
  const B = cfg.batchSize;
  for (let k = Math.ceil(B / (plan.microBatch || B)) + 1; ; k++) {
    const m = Math.ceil(B / k);
    const e = estimateMemory(compileAccumulate(bytes, cfg, numClasses, m, params).graph);
    if (e.largestTensorBytes <= maxBindingBytes && e.peakBytes <= budgetBytes) {
      return { microBatch: m, peakBytes: e.peakBytes, fullPeakBytes: plan.fullPeakBytes, largestTensorBytes: e.largestTensorBytes,
        note: `batch ${B} has a ${formatBytes(plan.largestTensorBytes)} tensor, over this GPU's ${formatBytes(maxBindingBytes)} binding limit: accumulating gradients over micro-batches of ${m} (largest tensor ${formatBytes(e.largestTensorBytes)})` };
    }
    if (m === 1) throw new Error(`tensor '${e.largestTensor}' of one image needs ${formatBytes(e.largestTensorBytes)}, over this GPU's ${formatBytes(maxBindingBytes)} binding limit (maxStorageBufferBindingSize): choose a smaller backbone or input size`);
  }
}

function planByPeak(bytes: Uint8Array, cfg: TrainConfig, numClasses: number, params: Record<string, Tensor>, budgetBytes: number): BatchPlan {
  const B = cfg.batchSize;
  if (cfg.microBatch && cfg.microBatch < B) {
    const e = estimateMemory(compileAccumulate(bytes, cfg, numClasses, cfg.microBatch, params).graph);
    return { microBatch: cfg.microBatch, peakBytes: e.peakBytes, fullPeakBytes: NaN, largestTensorBytes: e.largestTensorBytes, note: undefined };
  }
  const full = estimateMemory(compileTrainStep(bytes, cfg, numClasses, B, params).graph);
  if (full.peakBytes <= budgetBytes) return { microBatch: 0, peakBytes: full.peakBytes, fullPeakBytes: full.peakBytes, largestTensorBytes: full.largestTensorBytes, note: undefined };
  const cache = new Map<number, ReturnType<typeof estimateMemory>>();
  const at = (m: number) => {
    if (m >= B) return full.peakBytes;
    let e = cache.get(m);
    if (!e) { e = estimateMemory(compileAccumulate(bytes, cfg, numClasses, m, params).graph); cache.set(m, e); }
    return e.peakBytes;
  };
  let m: number;
  try {
    m = chooseMicroBatch(at, B, budgetBytes);
  } catch {
    throw new Error(`a step needs about ${formatBytes(at(1))} even one image at a time, over the ${formatBytes(budgetBytes)} memory budget: choose a smaller backbone`);
  }
  at(m);
  const e = cache.get(m)!;
  return {
    microBatch: m, peakBytes: e.peakBytes, fullPeakBytes: full.peakBytes, largestTensorBytes: e.largestTensorBytes,
    note: `batch ${B} needs about ${formatBytes(full.peakBytes)} in one step, over the ${formatBytes(budgetBytes)} budget: accumulating gradients over micro-batches of ${m} (about ${formatBytes(e.peakBytes)} each)`,
  };
}
