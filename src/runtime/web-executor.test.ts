// The WebExecutor in Node (onnxruntime-web's wasm EP; no WebGPU here — the browser tests cover it): the frozen
// capabilities say why it is wasm, graph output names come straight from the protobuf, and a training run on it
// matches the same run on onnxruntime-node.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCliData } from '../cli/dataset.ts';
import { compileTrainStep, describeBackbone, initParams } from '../engine/compile.ts';
import { DEFAULTS, type TrainConfig } from '../engine/config.ts';
import { train } from '../engine/trainer.ts';
import { decodeModel, encodeModel } from '../onnx/codec.ts';
import { NodeExecutor } from './node-executor.ts';
import { outputNames } from '../onnx/peek.ts';
import { detectCapabilities, WebExecutor } from './web-executor.ts';

const FIX = join(import.meta.dirname, '../../e2e/fixtures');
const cfg: TrainConfig = { ...DEFAULTS, method: 'vpt', tokens: 2, head: 'lp', epochs: 1, batchSize: 8, lr: 0.05, augment: false, seed: 5 };

describe('WebExecutor', () => {
  it('decides wasm when there is no WebGPU, and says why', async () => {
    const caps = await detectCapabilities('auto');
    expect(caps.ep).toBe('wasm');
    expect(caps.label).toMatch(/^wasm — /);
    expect(Object.isFrozen(caps)).toBe(true);
    expect((await detectCapabilities('wasm')).label).toBe('wasm — chosen in the settings');
  });

  it('reads graph output names without decoding the model', () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
    const { info } = describeBackbone(bytes);
    const step = compileTrainStep(bytes, cfg, 3, 8, initParams(cfg, info, 3));
    const model = encodeModel(step.graph);
    expect(outputNames(model)).toEqual(decodeModel(model).outputs.map((o) => o.name));
    expect(outputNames(model).filter((n) => n.endsWith('.next')).sort()).toEqual([...Object.values(step.io.newParams), ...Object.values(step.io.newStates), 'metrics.next'].sort());
  });

  it('trains like onnxruntime-node', async () => {
    const bytes = new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));
    const data = await loadCliData(join(FIX, 'shapes'), undefined, 16, 0.2, cfg.seed);
    const run = async (executor: WebExecutor | NodeExecutor) => {
      const losses: number[] = [];
      const r = await train({ backbone: bytes, cfg, classes: data.classes, train: data.train, val: data.val, executor, callbacks: { onStep: (m) => losses.push(m.loss) } });
      return { losses, r };
    };
    const web = await run(new WebExecutor(await detectCapabilities('wasm')));
    const node = await run(new NodeExecutor(1));
    expect(web.losses).toHaveLength(3);
    web.losses.forEach((l, i) => expect(Math.abs(l - node.losses[i])).toBeLessThan(1e-5));
    expect(web.r.epochs[0].val_acc).toBeCloseTo(node.r.epochs[0].val_acc!, 6);
    expect(web.r.backend).toBe('wasm — chosen in the settings');
  });
});
