// Continue anywhere, the studio's side: Results exports a run's checkpoint.safetensors in the CLI's --resume layout
// (settings as flags that name the backbone and data, classes, backbone identity, data counts, optimiser state);
// Saved runs › import takes a checkpoint alone and offers resume; resuming on other images, or importing a file that
// is not a checkpoint, is refused in one line. (The whole chain studio → PyTorch → studio, with every loss checked
// against one uninterrupted run: python/tests/test_studio_chain.py.)
import { describe, expect, it } from 'vitest';
import { decodeCheckpoint, encodeCheckpoint } from '../engine/checkpoint-file.ts';
import { configOfFlags } from '../engine/run-flags.ts';
import { memoryRepo } from '../persist/runs.ts';
import { ready, shapes, stoppedAfterFirstEpoch } from './test-harness.ts';

describe('continue a studio run elsewhere, and a run from elsewhere in the studio', () => {
  it('exports checkpoint.safetensors that imports back as a resumable run, refused on other images', async () => {
    const { s, id } = await stoppedAfterFirstEpoch(memoryRepo());
    await s.actions.openRun(id);
    const file = await s.actions.exportCheckpoint();
    expect(file.name).toBe('checkpoint.safetensors');
    const ck = decodeCheckpoint(file.bytes);
    const rec = s.store.getState().runs.find((r) => r.id === id)!;
    expect(ck.meta).toMatchObject({ epoch: rec.epochs.length, classes: ['a_circle', 'b_square', 'c_noise'], data: { train: 24, val: 12 },
      backbone: { file: 'tiny-vit.onnx', sha256: rec.backbone.sha256, family: 'vit', inputSize: 16 } });
    expect(ck.meta.flags).toMatchObject({ model: 'tiny-vit.onnx', data: 'shapes', epochs: '40', batchSize: '8' });
    expect(configOfFlags(ck.meta.flags)).toEqual(rec.cfg);
    expect(Object.keys(ck.tensors).sort()).toEqual(['head.bias', 'head.weight', 'prompt.A', 'prompt.B', 'state.head.bias.buf', 'state.head.weight.buf', 'state.prompt.A.buf', 'state.prompt.B.buf']);

    // a fresh browser: the checkpoint alone imports as a stopped run at its epoch
    const repo = memoryRepo(), t = await ready(repo);
    await t.actions.importRun([{ name: 'checkpoint.safetensors', bytes: file.bytes }]);
    const got = t.store.getState();
    expect(got.notice).toBe(`imported: lorvp + lp run on tiny-vit.onnx after epoch ${ck.meta.epoch} of 40 — resume it from Saved runs`);
    expect(got.runs[0]).toMatchObject({ status: 'stopped', cfg: rec.cfg, classes: rec.classes, data: { train: 24, val: 12 } });
    expect((await repo.checkpoint(got.runs[0].id))?.step).toBe(ck.meta.step);

    // other images: refused before anything trains
    await t.actions.loadFiles('shapes', shapes().filter((f) => f.path !== 'shapes/train/a_circle/000.png'));
    await t.actions.resumeRun(got.runs[0].id);
    expect(t.store.getState().notice).toMatch(/^cannot resume: the run was trained on 24 training \/ 12 validation images; this data gives \d+ \/ \d+ — continue it on the same images$/);
    expect(t.store.getState().run.phase).not.toBe('running');
  });

  it('refuses a prompt file or an old checkpoint without classes in one line', async () => {
    const t = await ready(memoryRepo());
    const { s, id } = await stoppedAfterFirstEpoch(memoryRepo());
    await s.actions.openRun(id);
    await t.actions.importRun([{ name: 'prompt.safetensors', bytes: s.actions.exportPrompt().bytes }]);
    expect(t.store.getState().notice).toBe('import failed: choose both prompt.safetensors and manifest.json of a run (or its checkpoint.safetensors, to continue it)');
    const ck = decodeCheckpoint((await s.actions.exportCheckpoint()).bytes);
    const { classes: _c, backbone: _b, data: _d, ...old } = ck.meta;
    await t.actions.importRun([{ name: 'checkpoint.safetensors', bytes: encodeCheckpoint({ tensors: ck.tensors, mapping: ck.mapping }, old) }]);
    expect(t.store.getState().notice).toBe("import failed: checkpoint.safetensors does not name its classes (written by an older vp-studio): import the run's manifest.json with it");
  });
});
