// The worker handler in Node with a stubbed postMessage: backbone description, folder checks (a junk file is
// listed, not fatal), the live parameter count, a training run whose losses equal the CLI's on the same data,
// pause/resume/stop, the deployable export, and the step benchmark.
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCliData } from '../cli/dataset.ts';
import { decodeImage } from '../data/decode-node.ts';
import type { ImageCodec } from '../data/decode-browser.ts';
import { DEFAULTS, type TrainConfig } from '../engine/config.ts';
import type { Executor } from '../engine/executor.ts';
import { train } from '../engine/trainer.ts';
import { decodeModel } from '../onnx/codec.ts';
import { NodeExecutor } from '../runtime/node-executor.ts';
import { Handler } from './handler.ts';
import { isResponse, type BenchMemory, type DataFile, type Response, type ResponseOf } from './protocol.ts';
import { shapes } from '../store/test-harness.ts';

const FIX = join(import.meta.dirname, '../../e2e/fixtures');
const codec: ImageCodec = {
  decode: async (blob) => decodeImage(new Uint8Array(await blob.arrayBuffer())),
  thumbnail: async () => new Blob([new Uint8Array(4)]),
};

function files(): DataFile[] {
  const out = shapes();
  out.push({ path: 'shapes/train/a_circle/notes.txt', blob: new Blob(['hello']) });
  return out;
}

/** onnxruntime-node posing as a GPU executor with the given binding limit (the planner's input). */
class GpuPose extends NodeExecutor {
  override readonly deviceMemory: boolean = true;
  constructor(readonly limits: { maxBufferSize: number; maxStorageBufferBindingSize: number }) { super(1); }
}

/** onnxruntime-node posing as a backend whose sessions share a capped heap (the browser's wasm). */
class CappedPose extends NodeExecutor {
  constructor(readonly memoryCapBytes: number) { super(1); }
}

function harness(memory?: () => Promise<BenchMemory>, executor: () => Executor = () => new NodeExecutor(1)) {
  const msgs: Response[] = [];
  const waiters: Array<() => void> = [];
  const h = new Handler((m) => { msgs.push(m); waiters.splice(0).forEach((w) => w()); }, {
    codec,
    createBackend: async () => ({ executor: executor(), runtime: 'onnxruntime-node', ep: 'wasm', crossOriginIsolated: false, threads: 1 }),
    memory,
  });
  const next = async <T extends Response['type']>(type: T, from = 0): Promise<ResponseOf<T>> => {
    for (;;) {
      const hit = msgs.slice(from).find((m): m is ResponseOf<T> => isResponse(m, type));
      if (hit) return hit;
      const err = msgs.slice(from).find((m) => m.type === 'error');
      if (err && err.type === 'error') throw new Error(err.message);
      await new Promise<void>((r) => waiters.push(r));
    }
  };
  return { h, msgs, next };
}

const cfg: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp', rank: 2, epochs: 1, batchSize: 8, lr: 0.05, augment: false, shuffle: true, seed: 3 };

async function ready(executor?: () => Executor) {
  const t = harness(undefined, executor);
  const bytes = readFileSync(join(FIX, 'tiny-vit.onnx'));
  await t.h.handle({ type: 'backbone', id: 1, name: 'tiny-vit.onnx', bytes: bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) });
  await t.h.handle({ type: 'data', id: 2, files: files() });
  return t;
}

describe('worker handler', () => {
  it('on a GPU, plans the step within the budget it is sent and the adapter\'s binding limit, and says so', async () => {
    const { h, next } = await ready(() => new GpuPose({ maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 4096 }));
    await h.handle({ type: 'train', runId: 'g1', cfg, init: undefined, resume: undefined, budgetMiB: 2048 });
    const started = await next('started');
    expect(started.note).toMatch(/^batch 8 has a .* tensor, over this GPU's 4.00 KiB binding limit: accumulating gradients over micro-batches of [1-4] /);
    // the plan shown before training is the one the run used
    await h.handle({ type: 'memory-plan', id: 9, cfg, numClasses: 3, budgetMiB: 2048 });
    await next('done');
    const mp = (await next('memory-plan')).plan!;
    expect(mp.note).toBe(started.note);
    expect(mp.microBatch).toBe(Number(/micro-batches of (\d+)/.exec(started.note!)![1]));
    expect((await next('done')).result.epochs).toHaveLength(1);
    const small = await ready(() => new GpuPose({ maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 30 }));
    await small.h.handle({ type: 'train', runId: 'g2', cfg, init: undefined, resume: undefined, budgetMiB: 0.001 });
    await expect(small.next('started')).rejects.toThrow(/over the 1.02 KiB memory budget/);
  });

  it('on a memory-capped backend (the wasm heap), plans within the cap\'s share for the step and says so', async () => {
    const model = statSync(join(FIX, 'tiny-vit.onnx')).size;
    const roomy = await ready(() => new CappedPose(2 ** 40));
    await roomy.h.handle({ type: 'memory-plan', id: 9, cfg, numClasses: 3, budgetMiB: 2048 });
    const whole = (await roomy.next('memory-plan')).plan!;
    expect(whole).toMatchObject({ microBatch: 0, note: undefined });
    // a cap whose step share (5/8 of it, less the model) is 60 % of the whole batch's estimate
    const cap = (0.6 * whole.peakBytes + model) * 8 / 5;
    const { h, next } = await ready(() => new CappedPose(cap));
    await h.handle({ type: 'memory-plan', id: 9, cfg, numClasses: 3, budgetMiB: 2048 });   // the GPU budget plays no part
    const mp = (await next('memory-plan')).plan!;
    // (the handler holds the canonical backbone, a few KiB off the file's size)
    expect(mp.budgetBytes).toBeGreaterThan(0.5 * whole.peakBytes);
    expect(mp.budgetBytes).toBeLessThan(0.7 * whole.peakBytes);
    expect(mp.microBatch).toBeGreaterThan(0);
    expect(mp.microBatch).toBeLessThan(8);
    expect(mp.peakBytes).toBeLessThanOrEqual(mp.budgetBytes);
    expect(mp.note).toMatch(/^the wasm heap is capped at .*: batch 8 needs about .* in one step, over the .* budget: accumulating gradients over micro-batches of \d+/);
    await h.handle({ type: 'train', runId: 'w1', cfg, init: undefined, resume: undefined });
    expect((await next('started')).note).toBe(mp.note);
    expect((await next('done')).result.epochs).toHaveLength(1);
  });

  it('describes the backbone, checks the folder and plans parameters', async () => {
    const { h, next } = await ready();
    const b = await next('backbone');
    expect(b.info).toMatchObject({ family: 'vit', inputSize: 16, featureWidth: 16, numSourceClasses: 10 });
    expect(b.sha256).toMatch(/^[0-9a-f]{64}$/);
    const d = (await next('data')).summary;
    expect(d.classes).toEqual(['a_circle', 'b_square', 'c_noise']);
    expect(d.layout).toBe('splits');
    expect(d.counts).toEqual({ train: [9, 8, 7], val: [4, 4, 4] });
    expect(d.skipped).toEqual([{ path: 'shapes/train/a_circle/notes.txt', reason: 'not a JPEG, PNG, WebP, BMP or GIF image' }]);
    await h.handle({ type: 'plan', id: 3, cfg, numClasses: 3 });
    const p = (await next('plan')).plan;
    expect(p.error).toBeUndefined();
    expect(p.trainable).toBe(2 * 3 * 16 * 2 + 16 * 3 + 3);
    await h.handle({ type: 'plan', id: 4, cfg: { ...cfg, method: 'pad', padWidth: 9 }, numClasses: 3 });
    expect((await next('plan', 0)).plan.error ?? '').toBe('');
  });

  it('trains like the CLI on the same folder, then exports a deployable model', async () => {
    const { h, msgs, next } = await ready();
    await h.handle({ type: 'train', runId: 'r1', cfg, init: undefined, resume: undefined });
    const done = (await next('done')).result;
    const steps = msgs.filter((m): m is ResponseOf<'step'> => m.type === 'step');
    expect(steps.map((s) => s.metrics.step)).toEqual([0, 1, 2]);
    expect(done.evaluation?.confusion.flat().reduce((a, b) => a + b, 0)).toBe(12);
    expect(done.evaluation?.paths[0]).toBe('shapes/val/a_circle/000.png');
    expect(Object.keys(done.params).sort()).toEqual(['head.bias', 'head.weight', 'prompt.A', 'prompt.B']);
    expect(done.samples[0].data.length).toBe(3 * 16 * 16);

    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
    const data = await loadCliData(join(FIX, 'shapes'), undefined, 16, cfg.valFraction, cfg.seed);
    const losses: number[] = [];
    await train({ backbone: bytes, cfg, classes: data.classes, train: data.train, val: data.val, executor: new NodeExecutor(1), callbacks: { onStep: (m) => losses.push(m.loss) } });
    expect(steps.map((s) => s.metrics.loss)).toEqual(losses);

    await h.handle({ type: 'export-model', id: 9, cfg, numClasses: 3, params: done.params, mapping: done.mapping });
    const g = decodeModel(new Uint8Array((await next('model')).bytes));
    expect(g.outputs.map((o) => o.name)).toEqual(['logits']);
  });

  it('resumes from an end-of-epoch checkpoint to the same tensors as an uninterrupted run', async () => {
    const { h, msgs, next } = await ready();
    await h.handle({ type: 'train', runId: 'full', cfg: { ...cfg, epochs: 2 }, init: undefined, resume: undefined });
    const full = (await next('done')).result;
    const cp = msgs.find((m): m is ResponseOf<'checkpoint'> => m.type === 'checkpoint' && m.checkpoint.epoch === 1)!.checkpoint;
    expect(Object.keys(cp.tensors).sort()).toEqual(['head.bias', 'head.weight', 'prompt.A', 'prompt.B', 'state.head.bias.buf', 'state.head.weight.buf', 'state.prompt.A.buf', 'state.prompt.B.buf']);
    const from = msgs.length;
    await h.handle({ type: 'train', runId: 'resumed', cfg: { ...cfg, epochs: 2 }, init: undefined, resume: cp });
    const resumed = (await next('done', from)).result;
    expect(msgs.slice(from).filter((m): m is ResponseOf<'step'> => m.type === 'step').map((m) => m.metrics.step)).toEqual([3, 4, 5]);
    for (const k of Object.keys(full.params)) expect(Array.from(resumed.params[k].data)).toEqual(Array.from(full.params[k].data));
    expect(resumed.epochs.map((e) => e.epoch)).toEqual([0, 1]);
  });

  it('pauses, resumes and stops a run', async () => {
    const { h, msgs, next } = await ready();
    const run = h.handle({ type: 'train', runId: 'r2', cfg: { ...cfg, epochs: 3 }, init: undefined, resume: undefined });
    await next('step');
    await h.handle({ type: 'pause' });
    await next('state');
    const before = msgs.filter((m) => m.type === 'step').length;
    await new Promise((r) => setTimeout(r, 300));
    expect(msgs.filter((m) => m.type === 'step').length).toBeLessThanOrEqual(before + 1);
    await h.handle({ type: 'resume' });
    const from = msgs.length;
    await next('step', from);
    await h.handle({ type: 'stop' });
    await run;
    const done = (await next('done')).result;
    expect(done.stopped).toBe(true);
    expect(msgs.filter((m) => m.type === 'step').length).toBeLessThan(9);
    for (const [i, c] of ([{ method: 'vpt-deep' }, { method: 'none' }, { method: 'pad', padWidth: 3, head: 'flm' }, { method: 'lorvp', head: 'fm', microBatch: 4 }] as const).entries()) {
      const after = msgs.length;
      await h.handle({ type: 'train', runId: `m${i}`, cfg: { ...cfg, ...c }, init: undefined, resume: undefined });
      const r = (await next('done', after)).result;
      expect(r.runId).toBe(`m${i}`);
      expect(r.evaluation?.labels).toHaveLength(12);
    }
  });

  it('benchmarks one train step on its executor, and refuses a configuration the backbone cannot train', async () => {
    const { h, next, msgs } = harness(async () => ({ wasmMb: 16 }));
    const model = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
    await h.handle({ type: 'bench', id: 1, model, cfg: { ...cfg, method: 'vpt' }, numClasses: 10, warmup: 1, steps: 3, pipelined: 2 });
    const r = (await next('bench-result')).result;
    expect(r).toMatchObject({ backend: expect.stringContaining('onnxruntime-node'), batch: 8, memory: { wasmMb: 16 } });
    expect(r.stepMs).toHaveLength(3);
    expect(r.medianMs).toBeGreaterThan(0);
    expect(r.imagesPerS).toBeCloseTo((1000 * 8) / r.medianMs, 6);
    expect(r.compileMs).toBeGreaterThan(0);
    expect(r.sessionMs).toBeGreaterThan(0);
    expect(r.pipelinedMs).toBeGreaterThan(0);
    expect(r.trainable).toBe(5 * 16 + 16 * 10 + 10);
    for (const l of [r.firstLoss, r.lastLoss]) expect(Number.isFinite(l) && l > 0).toBe(true);
    expect(r.estimatedPeakBytes).toBeGreaterThan(r.largestTensorBytes);

    const resnet = readFileSync(join(FIX, 'tiny-resnet.onnx'));
    await h.handle({ type: 'bench', id: 2, model: resnet.buffer.slice(resnet.byteOffset, resnet.byteOffset + resnet.byteLength), cfg: { ...cfg, method: 'vpt' }, numClasses: 10, warmup: 0, steps: 1, pipelined: 0 });
    const err = msgs.find((m): m is ResponseOf<'error'> => m.type === 'error' && m.id === 2);
    expect(err?.message).toMatch(/^vpt needs a ViT backbone/);
    expect(err?.message).not.toContain('\n');
  });
});
