// The memory-budget planner: the whole batch when it fits, else the largest micro-batch whose estimated step
// fits in the fewest micro-steps (and the plan's estimate is under the budget), a clear error when not even one image fits.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { planBatch } from './budget.ts';
import { describeBackbone, initParams } from './compile.ts';
import { DEFAULTS, type TrainConfig } from './config.ts';

const bytes = new Uint8Array(readFileSync(join(import.meta.dirname, '../../e2e/fixtures/tiny-vit.onnx')));
const cfg: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp', batchSize: 32, rank: 2 };
const params = initParams(cfg, describeBackbone(bytes).info, 3);

describe('planBatch', () => {
  it('keeps the whole batch when it fits, micro-batches when it does not', () => {
    const whole = planBatch(bytes, cfg, 3, params, 2 ** 30);
    expect(whole).toMatchObject({ microBatch: 0, note: undefined });
    expect(whole.peakBytes).toBe(whole.fullPeakBytes);
    const budget = whole.fullPeakBytes * 0.5;
    const p = planBatch(bytes, cfg, 3, params, budget);
    expect(p.microBatch).toBeGreaterThan(1);
    expect(p.microBatch).toBeLessThan(32);
    expect(p.peakBytes).toBeLessThanOrEqual(budget);
    expect(p.note).toMatch(/^batch 32 needs about .* over the .* budget: accumulating gradients over micro-batches of \d+/);
    // no plan with fewer micro-steps fits
    const k = Math.ceil(32 / p.microBatch);
    expect(k).toBeGreaterThan(1);
    const fewer = Math.ceil(32 / (k - 1));
    if (fewer < 32) expect(planBatch(bytes, { ...cfg, microBatch: fewer }, 3, params, budget).peakBytes).toBeGreaterThan(budget);
  });

  it('splits the batch until its largest tensor fits the GPU\'s binding limit, and names the tensor when one image\'s does not', () => {
    const whole = planBatch(bytes, cfg, 3, params, 2 ** 30);
    const limit = Math.floor(whole.largestTensorBytes / 3);
    const p = planBatch(bytes, cfg, 3, params, 2 ** 30, limit);
    expect(p.microBatch).toBeGreaterThan(1);
    expect(p.microBatch).toBeLessThanOrEqual(Math.ceil(32 / 3));
    expect(p.largestTensorBytes).toBeLessThanOrEqual(limit);
    expect(p.note).toMatch(/^batch 32 has a .* tensor, over this GPU's .* binding limit: accumulating gradients over micro-batches of \d+/);
    // one micro-step fewer would not fit
    const fewer = Math.ceil(32 / (Math.ceil(32 / p.microBatch) - 1));
    expect(planBatch(bytes, { ...cfg, microBatch: fewer }, 3, params, 2 ** 30).largestTensorBytes).toBeGreaterThan(limit);
    expect(() => planBatch(bytes, cfg, 3, params, 2 ** 30, 64)).toThrow(/^tensor '.+' of one image needs .*, over this GPU's 64 B binding limit \(maxStorageBufferBindingSize\)/);
  });

  it('says so when not even one image fits', () => {
    expect(() => planBatch(bytes, cfg, 3, params, 1000)).toThrow(/^a step needs about .* even one image at a time, over the 1000 B memory budget/);
  });
});
