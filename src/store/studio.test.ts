// The studio store in Node, wired back-to-back to a real worker Handler (onnxruntime-node, sharp decoding) and
// an in-memory run repository: load a backbone and a folder, train, save, export in the CLI's formats; later
// choices win over slow earlier loads; saved runs are listed after a "reload".
import { cannotStart } from './training.ts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '../io/safetensors.ts';
import { decodeModel } from '../onnx/codec.ts';
import { memoryRepo } from '../persist/runs.ts';
import { memorySettings } from '../persist/settings.ts';
import { WorkerClient } from '../worker/client.ts';
import { createStudio } from './studio.ts';
import { backToBack, FIX, notFound, ready, shapes, stoppedAfterFirstEpoch, tinyVit, until } from './test-harness.ts';

describe('studio store', () => {
  it('trains from a folder, saves the run and exports the CLI files', async () => {
    const repo = memoryRepo();
    const s = await ready(repo);
    const st = s.store.getState();
    expect(st.backend).toMatchObject({ status: 'ready', label: expect.stringMatching(/^onnxruntime-node/) });
    expect(st.backbone).toMatchObject({ status: 'ready', name: 'tiny-vit.onnx', norm: { mean: [0.5, 0.5, 0.5] } });
    expect(st.data.summary?.classes).toEqual(['a_circle', 'b_square', 'c_noise']);
    expect(st.plan).toMatchObject({ trainable: 435, error: undefined });
    const id = await s.actions.start();
    expect(id).toBeDefined();
    await until(s, (x) => x.run.phase === 'done' && x.runs.some((r) => r.status === 'done'));
    const done = s.store.getState();
    expect(done.run.steps.map((p) => p.step)).toEqual([0, 1, 2]);
    expect(done.view?.record).toMatchObject({ id, status: 'done', data: { train: 24, val: 12 }, trainable: 435 });
    expect((await repo.list())[0].epochs).toHaveLength(1);
    expect(Object.keys((await repo.tensors(id!)) ?? {}).sort()).toEqual(['head.bias', 'head.weight', 'prompt.A', 'prompt.B']);

    const st2 = readSafetensors(s.actions.exportPrompt().bytes);
    expect(st2.tensors['prompt.A'].shape).toEqual([3, 4, 16]);
    expect(st2.metadata.classes).toBe('["a_circle","b_square","c_noise"]');
    const m = JSON.parse(new TextDecoder().decode(s.actions.exportManifest().bytes));
    expect(m).toMatchObject({ format: 'vp-studio-run/1', trainableParameters: 435, backbone: { file: 'tiny-vit.onnx', inputSize: 16 }, versions: { 'vp-studio': 'test' } });
    expect(m.final.steps).toBe(3);
    expect(decodeModel((await s.actions.exportModel()).bytes).outputs[0].name).toBe('logits');
  });

  it('lets a later backbone choice win over a slow earlier download', async () => {
    let release!: () => void;
    const slow = new Promise<void>((r) => { release = r; });
    const s = createStudio({
      client: new WorkerClient(backToBack()), repo: memoryRepo(), fetch: async (url) => {
        if (!url.endsWith('.onnx')) return notFound();
        await slow;
        return new Response(readFileSync(join(FIX, 'tiny-resnet.onnx')));
      },
    });
    await s.actions.boot({ preload: false });
    const first = s.actions.loadCatalogEntry({ id: 'r', name: 'resnet', url: 'https://example.org/r.onnx', bundled: false });
    await s.actions.loadBackboneFile('tiny-vit.onnx', tinyVit());
    release();
    await first;
    expect(s.store.getState().backbone).toMatchObject({ status: 'ready', name: 'tiny-vit.onnx' });
  });

  it('lists saved runs after a reload; one that never finished reads interrupted', async () => {
    const repo = memoryRepo();
    const s = await ready(repo);
    await s.actions.start();
    await until(s, (x) => x.run.phase === 'done' && x.runs.some((r) => r.status === 'done'));
    const [rec] = await repo.list();
    await repo.save({ ...rec, id: 'run-x', status: 'running', created: '2000-01-01T00:00:00.000Z' });
    const again = createStudio({ client: new WorkerClient(backToBack()), repo, fetch: notFound });
    await again.actions.boot({ preload: false });
    expect(again.store.getState().runs.map((r) => r.status)).toEqual(['done', 'interrupted']);
    await again.actions.openRun(rec.id);
    expect(again.store.getState().view?.record.id).toBe(rec.id);
  });

  it('resumes a stopped run from its last checkpoint, in the same record', async () => {
    const repo = memoryRepo();
    const { s, id } = await stoppedAfterFirstEpoch(repo);
    const cp = (await repo.checkpoint(id))!;
    expect(cp.epoch).toBeGreaterThanOrEqual(1);
    await s.actions.resumeRun(id);
    expect(s.store.getState().notice).toBeUndefined();
    await until(s, (x) => x.run.phase === 'done' && x.runs.some((r) => r.id === id && r.status === 'done'));
    const rec = (await repo.list()).find((r) => r.id === id)!;
    expect(rec.epochs.map((e) => e.epoch)).toEqual([...Array(40).keys()]);
    expect(rec.steps.map((p) => p.step)).toEqual([...Array(120).keys()]);
    expect((await repo.list()).length).toBe(1);
  });

  it('a stopped run is saved as stopped even when IndexedDB is still writing its earlier saves (they land first)', async () => {
    // IndexedDB applies the writes of one store in the order they were issued, one at a time: while it is busy
    // (held), Pause and Stop each queue a record still 'running'; the run's end must be written after them
    const repo = memoryRepo();
    let held: Promise<void> | undefined, release = () => {};
    let queue: Promise<void> = Promise.resolve();
    const inOrder = <A extends unknown[]>(write: (...a: A) => Promise<void>) => (...a: A): Promise<void> => {
      const copy = structuredClone(a);   // taken when issued, as IndexedDB does
      return (queue = queue.then(async () => { await held; await write(...copy); }));
    };
    const slow = { ...repo, save: inOrder(repo.save), saveTensors: inOrder(repo.saveTensors), saveCheckpoint: inOrder(repo.saveCheckpoint), remove: inOrder(repo.remove) };
    const s = await ready(slow);
    s.actions.setCfg({ epochs: 40 });
    await s.actions.refreshPlan();
    let paused = false;
    s.client.on((m) => {
      if (m.type === 'checkpoint' && !paused) { paused = true; held = new Promise((r) => { release = r; }); s.actions.pause(); }
      if (m.type === 'state' && m.state === 'paused') s.actions.stop();
    });
    const id = (await s.actions.start())!;
    await until(s, (x) => x.run.phase === 'stopped' && x.run.saving === true);
    release();
    await until(s, (x) => x.run.saving === false);
    await queue;
    expect((await repo.list()).find((r) => r.id === id)?.status).toBe('stopped');
    expect(s.store.getState().runs.find((r) => r.id === id)?.status).toBe('stopped');
    const cp = (await repo.checkpoint(id))!;
    expect(cp.epochs.length).toBe((await repo.list())[0].epochs.length);
  });

  it('explains why training cannot start', async () => {
    const s = createStudio({ client: new WorkerClient(backToBack()), repo: memoryRepo(), fetch: notFound });
    await s.actions.boot({ preload: false });
    expect(await s.actions.start()).toBeUndefined();
    expect(s.store.getState().notice).toBe('choose a backbone');
    await s.actions.loadBackboneFile('tiny-resnet.onnx', new Uint8Array(readFileSync(join(FIX, 'tiny-resnet.onnx'))));
    await s.actions.loadFiles('shapes', shapes());
    s.actions.setCfg({ method: 'vpt' });
    await s.actions.refreshPlan();
    expect(s.store.getState().plan?.error).toMatch(/vpt needs a ViT backbone/);
  });

  it('takes a dropped hub model with its config files: class names, normalisation, a choosable input size', async () => {
    const s = createStudio({ client: new WorkerClient(backToBack()), repo: memoryRepo(), fetch: notFound });
    await s.actions.boot({ preload: false });
    const hub = join(import.meta.dirname, '../../tests/fixtures/hub/optimum-resnet');
    const file = (name: string) => ({ name, bytes: new Uint8Array(readFileSync(join(hub, name))) });
    await s.actions.loadBackboneFiles([file('model.onnx'), file('config.json'), file('preprocessor_config.json')]);
    const b = s.store.getState().backbone;
    expect(b.status).toBe('ready');
    expect(b.info).toMatchObject({ inputSize: 224, inputSizeFixed: false, family: 'resnet' });
    expect(b.norm?.why).toMatch(/preprocessor_config/);
    expect(b.meta?.labels?.length).toBe(10);
    await s.actions.setInputSize(160);
    expect(s.store.getState().backbone.info?.inputSize).toBe(160);
  });

  it('a failed backbone load keeps the working one; the pad width always fits; a bad field blocks Train and says why', async () => {
    const s = await ready();
    const before = s.store.getState().backbone;
    await s.actions.loadBackboneFile('broken.onnx', new Uint8Array([1, 2, 3]));
    const after = s.store.getState().backbone;
    expect(after).toMatchObject({ status: 'ready', name: before.name, sha256: before.sha256 });
    expect(after.error).toMatch(/^cannot use broken\.onnx: not a valid ONNX model/);
    await s.actions.settleMemoryPlan();   // (Train itself waits for the step's memory plan before it starts a run)
    expect(cannotStart(s.store.getState())).toBeUndefined();
    // the tiny ViT is 16×16: the paper's 30 would not fit, the default must
    s.actions.setCfg({ method: 'pad' });
    await s.actions.refreshPlan();
    expect(s.store.getState().cfg.padWidth).toBeLessThan(8);
    expect(s.store.getState().plan?.error).toBeUndefined();
    s.actions.setFieldError('batch size', 'must be at least 1');
    expect(cannotStart(s.store.getState())).toBe('fix "batch size": must be at least 1');
    s.actions.setFieldError('batch size', undefined);
    await s.actions.settleMemoryPlan();
    expect(cannotStart(s.store.getState())).toBeUndefined();
    s.actions.setCfg({ padWidth: 30 });
    await s.actions.refreshPlan();
    expect(s.store.getState().plan?.error).toMatch(/^"pad width p" 30 does not fit a 16×16 input/);
  });

  it('a run stopped while compiling leaves no run behind (nothing was trained)', async () => {
    const s = await ready();
    const phases: string[] = [];
    s.store.subscribe((st) => { if (phases[phases.length - 1] !== st.run.phase) phases.push(st.run.phase); });
    const started = s.actions.start();
    await until(s, (st) => st.run.phase === 'compiling');
    s.actions.stop();
    await started;
    await until(s, (st) => st.run.phase === 'stopped');
    await new Promise((r) => setTimeout(r, 50));
    expect(phases).toContain('compiling');
    expect(s.store.getState().run.result?.evaluation).toBeUndefined();
    await s.actions.refreshRuns();
    expect(s.store.getState().runs).toEqual([]);
  });

  it('continue says the form now holds the run\'s settings and trains a new run named after it; a live run cannot be deleted; an opened run shows its curves', async () => {
    const s = await ready();
    await s.actions.start();
    await until(s, (st) => st.run.phase === 'done');
    await new Promise((r) => setTimeout(r, 50));
    await s.actions.refreshRuns();
    const first = s.store.getState().runs[0];
    expect(first.epochs.length).toBe(1);
    s.actions.setCfg({ epochs: 3, lr: 0.5 });
    await s.actions.continueRun(first.id);
    expect(s.store.getState().cfg).toMatchObject({ epochs: 1, lr: 0.05 });
    expect(s.store.getState().notice).toMatch(/the form now holds the settings of ".*": press Train to continue it/);
    expect(s.store.getState().run.phase).toBe('done'); // nothing started behind the user's back
    await s.actions.start();
    const live = s.store.getState().run.id!;
    await s.actions.deleteRun(live);
    expect(s.store.getState().notice).toMatch(/stop it before deleting it/);
    await until(s, (st) => st.run.phase === 'done');
    await s.actions.refreshRuns();
    const cont = s.store.getState().runs.find((r) => r.id === live)!;
    expect(cont).toMatchObject({ name: `${first.name} (continued)`, parent: first.id });
    await s.actions.openRun(first.id);
    expect(s.store.getState().run).toMatchObject({ id: first.id, epochs: first.epochs });
    expect(s.store.getState().run.steps.length).toBe(first.steps.length);
  });

  it('delete removes a run at once, and undo brings it back whole (record, tensors, checkpoint, the open view)', async () => {
    const repo = memoryRepo();
    const s = await ready(repo);
    const id = (await s.actions.start())!;
    await until(s, (x) => x.run.phase === 'done' && x.runs.some((r) => r.id === id && r.status === 'done'));
    await s.actions.openRun(id);
    const [record, tensors, checkpoint] = [s.store.getState().runs[0], await repo.tensors(id), await repo.checkpoint(id)];
    expect(checkpoint).toBeDefined();
    await s.actions.deleteRun(id);
    expect(s.store.getState()).toMatchObject({ runs: [], view: undefined, deleted: { id, name: record.name } });
    expect([await repo.tensors(id), await repo.checkpoint(id), (await repo.list()).length]).toEqual([undefined, undefined, 0]);
    await s.actions.undoDelete();
    expect(s.store.getState().deleted).toBeUndefined();
    expect(s.store.getState().runs).toEqual([record]);
    expect(s.store.getState().view?.record.id).toBe(id);
    expect([await repo.tensors(id), await repo.checkpoint(id)]).toEqual([tensors, checkpoint]);
    await s.actions.undoDelete();   // nothing held any more: no second copy
    expect((await repo.list()).length).toBe(1);
    await s.actions.deleteRun(id);
    s.actions.dismissDeleted();
    await s.actions.undoDelete();
    expect(s.store.getState().runs).toEqual([]);
  });

  it('settings survive a reload: the form, the dropped backbone (from the IndexedDB cache), and a request for the folder again', async () => {
    const repo = memoryRepo(), settings = memorySettings();
    const a = createStudio({ client: new WorkerClient(backToBack()), repo, fetch: notFound, settings });
    await a.actions.boot({ preload: true });
    await a.actions.loadBackboneFile('tiny-vit.onnx', tinyVit());
    await a.actions.loadFiles('shapes', shapes());
    a.actions.setCfg({ epochs: 3, lr: 0.07, method: 'vpt', tokens: 3 });
    await new Promise((r) => setTimeout(r, 20)); // the backbone cache write
    expect(settings.saved).toMatchObject({ cfg: { epochs: 3, lr: 0.07, method: 'vpt', tokens: 3 }, backbone: { name: 'tiny-vit.onnx' }, data: { kind: 'folder', name: 'shapes' } });
    const b = createStudio({ client: new WorkerClient(backToBack()), repo, fetch: notFound, settings });
    await b.actions.boot({ preload: true });
    const st = b.store.getState();
    expect(st.backbone).toMatchObject({ status: 'ready', name: 'tiny-vit.onnx' });
    expect(st.cfg).toMatchObject({ epochs: 3, lr: 0.07, method: 'vpt', tokens: 3 });
    expect(st.notice).toMatch(/choose the folder "shapes" again/);
  });

  it('webcam frames join the loaded data as a class of their own, are saved, and can be removed one by one', async () => {
    const repo = memoryRepo();
    const client = new WorkerClient(backToBack());
    const s = createStudio({ client, repo, fetch: notFound });
    await s.actions.boot({ preload: false });
    await s.actions.loadBackboneFile('tiny-vit.onnx', tinyVit());
    await s.actions.loadFiles('shapes', shapes());
    const frames = shapes().filter((f) => f.path.includes('/train/c_noise/')).slice(0, 4).map((f) => f.blob);
    await s.actions.addWebcamFrames('d_webcam', frames);
    let sum = s.store.getState().data.summary!;
    expect(sum.classes).toEqual(['a_circle', 'b_square', 'c_noise', 'd_webcam']);
    expect(sum.counts.train[3]).toBe(4);
    expect(s.store.getState().data.name).toBe('shapes + webcam');
    expect((await repo.webcamFrames()).length).toBe(4);
    await s.actions.removeWebcamFrame(s.store.getState().webcam[0].id);
    sum = s.store.getState().data.summary!;
    expect(sum.counts.train[3]).toBe(3);
    // a later visit finds them again
    const again = createStudio({ client: new WorkerClient(backToBack()), repo, fetch: notFound });
    await again.actions.boot({ preload: true });
    expect(again.store.getState().webcam.length).toBe(3);
  });
});
