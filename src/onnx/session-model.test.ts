// Graphs past the split threshold (protobuf's 2 GiB, lowered here to 1 KiB): the compiled train step, evaluation
// and apply graphs reach the executor as a small protobuf plus data files, onnxruntime gets them through its
// `externalData` option (onnxruntime-node, and onnxruntime-web's wasm EP), and a run trains exactly as the inline
// run does (same losses, same tensors); a loaded backbone that large stays small bytes with its weights kept in
// memory, which decode, run and train like the inline bytes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadCliData } from '../cli/dataset.ts';
import { DEFAULTS, type TrainConfig } from '../engine/config.ts';
import type { Executor } from '../engine/executor.ts';
import { train } from '../engine/trainer.ts';
import { NodeExecutor } from '../runtime/node-executor.ts';
import { detectCapabilities, WebExecutor } from '../runtime/web-executor.ts';
import { loadBackbone } from './backbone.ts';
import { decodeModel, encodeModel } from './codec.ts';
import { isSplit, type SessionModel } from './external.ts';
import { externalLocations } from './peek.ts';
import { DEFAULT_SPLIT_THRESHOLD, encodeForSession, encodeInProcess, setSplitThreshold } from './session-model.ts';
import { runGraph } from '../runtime/ort-node.ts';

const FIX = join(import.meta.dirname, '../../e2e/fixtures');

/** An executor that records what each session was created from. */
function recording(inner: Executor): { ex: Executor; seen: SessionModel[] } {
  const seen: SessionModel[] = [];
  const ex: Executor = {
    backend: inner.backend, deviceMemory: inner.deviceMemory,
    createSession: (m, o) => { seen.push(m); return inner.createSession(m, o); },
    upload: (t) => inner.upload(t), download: (h) => inner.download(h), dispose: (h) => inner.dispose(h),
  };
  return { ex, seen };
}

afterEach(() => { setSplitThreshold(DEFAULT_SPLIT_THRESHOLD); });

describe('split session models', () => {
  it('stays inline under the threshold and splits over it', () => {
    const g = decodeModel(new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx'))));
    expect(encodeForSession(g)).toBeInstanceOf(Uint8Array);
    setSplitThreshold(1024);
    const m = encodeForSession(g, { prefix: 'step' });
    expect(isSplit(m) && m.externalData.map((f) => f.path)).toEqual(['step.0.bin']);
  });

  const node = async (): Promise<Executor> => new NodeExecutor(1), web = async (): Promise<Executor> => new WebExecutor(await detectCapabilities('wasm'));
  for (const [method, micro, executor] of [['vpt', 0, node], ['lorvp', 2, node], ['vpt', 0, web]] as const) {
    it(`a ${method} run${micro ? ' with micro-batches' : ''} trains the same on split graphs as on inline ones (${executor === web ? 'onnxruntime-web, wasm' : 'onnxruntime-node'})`, async () => {
      const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
      const data = await loadCliData(join(FIX, 'shapes'), undefined, 16, 0.2, 3);
      const cfg: TrainConfig = { ...DEFAULTS, method, tokens: 2, rank: 2, head: 'lp', epochs: 2, batchSize: 4, microBatch: micro, lr: 0.01, augment: false, seed: 5 };
      const run = async () => {
        const { ex, seen } = recording(await executor());
        const r = await train({ backbone: bytes, cfg, classes: data.classes, train: data.train, val: data.val, executor: ex });
        return { r, seen };
      };
      const inline = await run();
      expect(inline.seen.every((m) => m instanceof Uint8Array)).toBe(true);
      setSplitThreshold(1024);
      const split = await run();
      // the graphs that hold the backbone (step or accumulate, evaluation) are split; the apply graph has no weights
      expect(split.seen.filter(isSplit).length).toBeGreaterThanOrEqual(2);
      for (const m of split.seen.filter(isSplit)) expect([...new Set(externalLocations(m.model).map((l) => l.location))]).toEqual(m.externalData.map((f) => f.path));
      expect(split.r.epochs.map((e) => [e.train_loss, e.train_acc, e.val_loss, e.val_acc])).toEqual(inline.r.epochs.map((e) => [e.train_loss, e.train_acc, e.val_loss, e.val_acc]));
      for (const [k, t] of Object.entries(inline.r.params)) expect([...(split.r.params[k].data as Float32Array)], k).toEqual([...(t.data as Float32Array)]);
    }, 60_000);
  }

  it('a loaded backbone over the threshold keeps its weights in memory: its bytes decode, run and train like inline ones', async () => {
    const file = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
    const inline = loadBackbone(file).bytes;
    setSplitThreshold(1024);
    const kept = loadBackbone(file).bytes;
    expect(kept.length).toBeLessThan(inline.length);
    expect(externalLocations(kept).every((l) => l.location.startsWith('vp-memory:'))).toBe(true);
    expect(encodeModel(decodeModel(kept))).toEqual(encodeModel(decodeModel(inline)));
    expect(encodeInProcess(decodeModel(kept))).not.toBe(kept);
    const x = { dtype: 'float32' as const, shape: [2, 3, 16, 16], data: new Float32Array(2 * 3 * 16 * 16).map((_, i) => Math.sin(i)) };
    const name = decodeModel(inline).inputs[0].name;
    expect([...Object.values(await runGraph(kept, { [name]: x }))[0].data as Float32Array]).toEqual([...Object.values(await runGraph(inline, { [name]: x }))[0].data as Float32Array]);
    const data = await loadCliData(join(FIX, 'shapes'), undefined, 16, 0.2, 3);
    const cfg: TrainConfig = { ...DEFAULTS, method: 'vpt', tokens: 2, head: 'lp', epochs: 1, batchSize: 4, lr: 0.01, augment: false, seed: 5 };
    const [a, b] = [await train({ backbone: kept, cfg, classes: data.classes, train: data.train, executor: new NodeExecutor(1) }), await train({ backbone: inline, cfg, classes: data.classes, train: data.train, executor: new NodeExecutor(1) })];
    expect(a.epochs.map((e) => e.train_loss)).toEqual(b.epochs.map((e) => e.train_loss));
  }, 60_000);
});
