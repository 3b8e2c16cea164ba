// The trainer's bookkeeping: the epoch's train loss and accuracy come from on-device running sums (no logits are
// read back), and must equal a host-side evaluation; the loss is read back only on the steps someone shows.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCliData } from '../cli/dataset.ts';
import { NodeExecutor } from '../runtime/node-executor.ts';
import { compileEval, describeBackbone, initParams } from './compile.ts';
import { DEFAULTS, type TrainConfig } from './config.ts';
import { exploded, runEval, scoreLogits, train, type EpochProfile } from './trainer.ts';
import { Builder } from '../onnx/builder.ts';
import { encodeModel } from '../onnx/codec.ts';
import { Graph } from '../onnx/ir.ts';
import { Rng } from './init.ts';

const FIX = join(import.meta.dirname, '../../e2e/fixtures');

describe('trainer metrics', () => {
  for (const [method, micro] of [['lorvp', 0], ['vpt', 0], ['pad', 4]] as const) {
    it(`train loss and accuracy from the device sums equal a host evaluation (${method}${micro ? `, micro-batch ${micro}` : ''})`, async () => {
      const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
      const data = await loadCliData(join(FIX, 'shapes'), undefined, 16, 0.2, 3);
      const n = data.train.size;
      // one step over the whole training set: its sums are taken in the forward pass, with the initial parameters
      const cfg: TrainConfig = { ...DEFAULTS, method, tokens: 2, padWidth: 2, rank: 2, init: 'normal,normal', head: 'lp', epochs: 1, batchSize: n, lr: 0.01, augment: false, seed: 3, microBatch: micro };
      const ex = new NodeExecutor(1);
      const r = await train({ backbone: bytes, cfg, classes: data.classes, train: data.train, executor: ex });
      const info = describeBackbone(bytes).info, params = initParams(cfg, info, data.classes.length);
      const ev = compileEval(bytes, cfg, data.classes.length, n, params);
      const s = await ex.createSession(encodeModel(ev.graph));
      const out = await runEval(ex, s, ev, data.train, info.inputSize, Object.fromEntries(Object.entries(params).map(([k, t]) => [k, ex.upload(t)])), data.classes.length);
      const sc = scoreLogits(out.logits, data.train.labels, data.classes.length);
      expect(r.epochs[0].train_loss).toBeCloseTo(sc.loss, 5);
      expect(r.epochs[0].train_acc).toBe(sc.accuracy);
      expect(sc.accuracy).toBeGreaterThan(0); // the check is not vacuous
    });
  }

  it('reads the loss back only on the steps asked for, and on the last step of each epoch', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
    const data = await loadCliData(join(FIX, 'shapes'), undefined, 16, 0.2, 3);
    const cfg: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp', epochs: 2, batchSize: 2, lr: 0.01, augment: false, seed: 1 };
    const shown: number[] = [], all: number[] = [];
    const every = await train({ backbone: bytes, cfg, classes: data.classes, train: data.train, executor: new NodeExecutor(1), callbacks: { onStep: (m) => all.push(m.loss) } });
    const some = await train({ backbone: bytes, cfg, classes: data.classes, train: data.train, executor: new NodeExecutor(1), callbacks: { wantLoss: (t) => t % 3 === 0, onStep: (m) => shown.push(m.step) } });
    const spe = Math.ceil(data.train.size / 2);
    const want = [...new Set([...all.keys()].filter((t) => t % 3 === 0 || t % spe === spe - 1))].sort((a, b) => a - b);
    expect(shown).toEqual(want);
    expect(some.epochs).toEqual(every.epochs.map((e) => ({ ...e, images_per_s: expect.any(Number), seconds: expect.any(Number) })));
  });

  it('says where each epoch\'s time went: its parts lie within its wall time, the steps take most of it', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
    const data = await loadCliData(join(FIX, 'shapes'), undefined, 16, 0.2, 3);
    const cfg: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp', epochs: 2, batchSize: 2, lr: 0.01, augment: true, seed: 1 };
    const profiles: EpochProfile[] = [];
    let ticks = 0;
    const r = await train({ backbone: bytes, cfg, classes: data.classes, train: data.train, val: data.val, executor: new NodeExecutor(1), callbacks: { onEpoch: (_, p) => profiles.push(p), onCheckpoint: () => { ticks++; } } });
    expect(profiles).toHaveLength(2);
    expect(ticks).toBe(2);
    for (const [e, p] of profiles.entries()) {
      for (const v of Object.values(p)) expect(v).toBeGreaterThanOrEqual(0);
      // the parts the loop waits on do not overlap one another (loading does: it runs behind the step)
      expect(p.setup + p.mapping + p.dataWait + p.step + p.report + p.validation + p.checkpoint).toBeLessThanOrEqual(p.wall + 1e-6);
      expect(p.step).toBeGreaterThan(0);
      expect(p.validation).toBeGreaterThan(0);
      // the worker's images/s leaves validation out; the wall time does not
      expect(p.wall / 1000).toBeGreaterThanOrEqual(r.epochs[e].seconds);
    }
    expect(profiles[0].setup).toBeGreaterThan(0);
    expect(profiles[1].setup).toBe(0);
  });

  it('stops when the loss explodes (an epoch at 10× the first loss here) and keeps the tensors of the last finite epoch', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
    const data = await loadCliData(join(FIX, 'shapes'), undefined, 16, 0.2, 3);
    const base: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp', epochs: 6, batchSize: 4, augment: false, seed: 1, init: 'normal,normal' };
    const checkpoints: Record<string, Float32Array>[] = [];
    const steps: number[] = [];
    // a learning rate that overflows after a few steps (the first epoch stays finite)
    const r = await train({ backbone: bytes, cfg: { ...base, lr: 2, scheduler: 'constant' }, classes: data.classes, train: data.train, executor: new NodeExecutor(1), callbacks: {
      onStep: (m) => steps.push(m.loss),
      onCheckpoint: (c) => { checkpoints.push(Object.fromEntries(Object.entries(c.tensors).filter(([k]) => !k.startsWith('state.')).map(([k, t]) => [k, t.data as Float32Array]))); },
    } });
    expect(r.diverged).toBeDefined();
    const d = r.diverged!;
    expect(d.loss).toBeGreaterThan(10 * Math.max(1, steps[0]));
    expect(steps.length).toBe(d.step + 1); // no step after it
    expect(steps.some((l) => exploded(l, steps[0]))).toBe(false); // slow: no single step blew up
    expect(r.epochs.length).toBe(d.keptEpochs);
    expect(r.epochs.length).toBeLessThan(base.epochs);
    expect(d.keptEpochs).toBeGreaterThan(0);
    const kept = d.keptEpochs ? checkpoints[d.keptEpochs - 1] : undefined;
    for (const [k, t] of Object.entries(r.params)) {
      expect((t.data as Float32Array).every(Number.isFinite), k).toBe(true);
      if (kept) expect(t.data).toEqual(kept[k]);
    }
    // a sane learning rate does not diverge
    const ok = await train({ backbone: bytes, cfg: { ...base, lr: 0.01, epochs: 1 }, classes: data.classes, train: data.train, executor: new NodeExecutor(1) });
    expect(ok.diverged).toBeUndefined();
  });

  it('the prompt has its own learning rate: one SGD step moves the prompt by promptLr and the head by lr', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
    const data = await loadCliData(join(FIX, 'shapes'), undefined, 16, 0.2, 3);
    const n = data.train.size;
    const base: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp', rank: 2, init: 'normal,normal', epochs: 1, batchSize: n, lr: 0.01, momentum: 0, weightDecay: 0, scheduler: 'constant', augment: false, shuffle: false, seed: 5 };
    const init = initParams(base, describeBackbone(bytes).info, data.classes.length);
    const step = async (promptLr: number) => (await train({ backbone: bytes, cfg: { ...base, promptLr }, classes: data.classes, train: data.train, executor: new NodeExecutor(1) })).params;
    const same = await step(0), fast = await step(0.07);
    const delta = (p: Record<string, { data: unknown }>, k: string) => Array.from(p[k].data as Float32Array, (v, i) => v - (init[k].data as Float32Array)[i]);
    for (const k of ['prompt.B', 'prompt.A']) {
      const a = delta(same, k), b = delta(fast, k);
      expect(Math.max(...a.map(Math.abs))).toBeGreaterThan(0);
      b.forEach((v, i) => expect(v).toBeCloseTo(7 * a[i], 6));
    }
    for (const k of ['head.weight', 'head.bias']) expect(fast[k].data).toEqual(same[k].data);
  });
});

describe('a fixed-batch backbone that cannot be re-batched', () => {
  // batch 1 with a channel mean that would mix the batch at any other size ([C,B,H,W] → [C,B·H·W]): re-batching is
  // refused, so batches run as micro-batches of 1 — exactly what the same network with a plain average pool trains
  // to with --micro-batch 1
  const net = (mixing: boolean): Uint8Array => {
    const g = new Graph();
    const x = g.value('x'); x.dtype = 'float32'; x.shape = [1, 3, 16, 16];
    g.inputs = [x];
    const b = new Builder(g), r = new Rng(4), w = (shape: number[]) => b.constF(Float32Array.from({ length: shape.reduce((a, c) => a * c, 1) }, () => r.next() - 0.5), shape);
    const h = b.op('Relu', [b.op('Conv', [x, w([4, 3, 3, 3]), w([4])], { pads: [1, 1, 1, 1] })]);
    const pooled = mixing ? b.op('ReduceMean', [b.transpose(b.reshape(b.transpose(h, [1, 0, 2, 3]), [4, 256]), [1, 0])], { axes: [0], keepdims: 1 })
      : b.op('Flatten', [b.op('GlobalAveragePool', [h])], { axis: 1 });
    g.outputs = [b.op('Gemm', [pooled, w([10, 4]), w([10])], { transB: 1 })];
    return encodeModel(g);
  };

  it('trains in micro-batches of its batch, as --micro-batch 1 trains the re-batchable twin', async () => {
    const data = await loadCliData(join(FIX, 'shapes'), undefined, 16, 0.2, 3);
    const mixing = net(true);
    expect(describeBackbone(mixing).info.rebatchRefusal).toMatch(/^cannot re-specialise Reshape '[^']+': factors left over$/);
    expect(describeBackbone(net(false)).info.rebatchRefusal).toBeUndefined();
    const cfg: TrainConfig = { ...DEFAULTS, method: 'lorvp', head: 'lp', rank: 2, init: 'normal,normal', epochs: 1, batchSize: 4, lr: 0.05, augment: false, seed: 2 };
    const run = (bytes: Uint8Array, microBatch: number) => train({ backbone: bytes, cfg: { ...cfg, microBatch }, classes: data.classes, train: data.train, val: data.val, executor: new NodeExecutor(1) });
    const [got, want] = [await run(mixing, 0), await run(net(false), 1)];
    expect(got.epochs[0].train_loss).toBeCloseTo(want.epochs[0].train_loss, 5);
    expect(got.epochs[0].val_acc).toBe(want.epochs[0].val_acc);
    for (const [k, t] of Object.entries(want.params)) {
      const a = got.params[k].data as Float32Array, e = t.data as Float32Array;
      a.forEach((v, i) => expect(Math.abs(v - e[i]), k).toBeLessThan(1e-5));
    }
  });
});
