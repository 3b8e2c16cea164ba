// The studio with models that keep their weights in external data files (tests/fixtures/hub-next/vit-external-data
// and -multi), store + a real worker Handler back-to-back: a dropped model.onnx with its model.onnx_data (or its
// per-tensor files, read only when named) loads, is cached with its data files and reloads from the cache; a
// model.onnx dropped alone gets one line naming the missing file; a catalogue entry's `dataFiles` are downloaded
// beside the model (with the progress of all of them) and cached; a deployable model over the split threshold
// (lowered here) comes with its model.onnx_data to save beside it.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { memoryRepo } from '../persist/runs.ts';
import { WorkerClient } from '../worker/client.ts';
import { parseCatalog } from './catalog.ts';
import type { DroppedFile } from './data-files.ts';
import type { Fetcher } from './sources.ts';
import { createStudio } from './studio.ts';
import { backToBack, notFound, ready, until } from './test-harness.ts';
import { decodeModel } from '../onnx/codec.ts';
import { filesResolver } from '../onnx/external.ts';
import { DEFAULT_SPLIT_THRESHOLD, setSplitThreshold } from '../onnx/session-model.ts';

const HUB = join(import.meta.dirname, '../../tests/fixtures/hub-next');
const ONE = join(HUB, 'vit-external-data'), MULTI = join(HUB, 'vit-external-data-multi');
const file = (dir: string, name: string): DroppedFile => ({ name, bytes: new Uint8Array(readFileSync(join(dir, name))) });

async function studio(repo = memoryRepo(), fetch: Fetcher = notFound) {
  const s = createStudio({ client: new WorkerClient(backToBack()), repo, fetch });
  await s.actions.boot({ preload: false });
  return s;
}

describe.skipIf(!existsSync(ONE))('external data in the studio', () => {
  it('a dropped model.onnx with its model.onnx_data and config files loads, is cached with its data and reloads', async () => {
    const repo = memoryRepo(), s = await studio(repo);
    await s.actions.loadBackboneFiles(['model.onnx', 'model.onnx_data', 'config.json', 'preprocessor_config.json'].map((n) => file(ONE, n)));
    const b = s.store.getState().backbone;
    expect(b.error).toBeUndefined();
    expect(b.status).toBe('ready');
    expect(b.info).toMatchObject({ family: 'vit', inputSize: 224, numSourceClasses: 10 });
    expect(b.info!.loadNotes).toContain('external data: model.onnx_data (189.2 KiB) read into memory');
    expect(b.info!.loadNotes.join('\n')).toMatch(/checked against the file on a random batch of 2/);
    expect(b.bytes).toBe(readFileSync(join(ONE, 'model.onnx')).length + readFileSync(join(ONE, 'model.onnx_data')).length);
    expect(b.norm?.why).toMatch(/preprocessor_config/);
    await new Promise((r) => setTimeout(r, 10));   // the cache is written in the background
    const cached = await repo.backbone(b.sha256);
    expect(cached?.externalData?.map((f) => [f.path, f.data.length])).toEqual([['model.onnx_data', 193704]]);
    const again = await studio(repo);
    await again.actions.loadBackboneFile(cached!.name, cached!.bytes, cached!.externalData);
    expect(again.store.getState().backbone).toMatchObject({ status: 'ready', sha256: b.sha256 });
  }, 60_000);

  it('one file per tensor: the files the model names are read, the others are not', async () => {
    const s = await studio();
    const read: string[] = [];
    const lazy = (name: string): DroppedFile => ({ name, read: async () => { read.push(name); return new Uint8Array(readFileSync(join(MULTI, name))); } });
    const names = readdirSync(MULTI).filter((n) => n !== 'model.onnx');
    await s.actions.loadBackboneFiles([file(MULTI, 'model.onnx'), ...names.map(lazy)]);
    const b = s.store.getState().backbone;
    expect(b.error).toBeUndefined();
    expect(b.info!.loadNotes).toContain(`external data: 40 data files (${(names.filter((n) => !/\.(json|npy)$/.test(n)).reduce((k, n) => k + readFileSync(join(MULTI, n)).length, 0) / 1024).toFixed(1)} KiB) read into memory`);
    expect(read.filter((n) => !n.endsWith('.json'))).toHaveLength(40);   // and config.json, preprocessor_config.json
    expect(read.filter((n) => n.endsWith('.npy'))).toEqual([]);
  }, 60_000);

  it('a model.onnx dropped without its data file gets one line naming it; the working backbone stays', async () => {
    const s = await studio();
    await s.actions.loadBackboneFiles([file(ONE, 'model.onnx'), file(ONE, 'config.json')]);
    expect(s.store.getState().backbone).toMatchObject({ status: 'error', error: 'cannot use model.onnx: model.onnx keeps its weights in model.onnx_data, which was not dropped with it: drop model.onnx together with model.onnx_data' });
    await s.actions.loadBackboneFiles([file(MULTI, 'model.onnx'), file(MULTI, 'embeddings.cls_token')]);
    expect(s.store.getState().backbone.error).toBe('cannot use model.onnx: model.onnx keeps its weights in 39 data files that were not dropped with it (embeddings.position_embeddings, embeddings.patch_embeddings.weight, embeddings.patch_embeddings.bias, …): drop them together with model.onnx');
  });

  it('a catalogue entry with dataFiles downloads them beside the model, and the second time comes from the cache', async () => {
    const served: Record<string, Uint8Array> = {
      'https://hub.example/vit/model.onnx': new Uint8Array(readFileSync(join(ONE, 'model.onnx'))),
      'https://hub.example/vit/model.onnx_data': new Uint8Array(readFileSync(join(ONE, 'model.onnx_data'))),
    };
    const asked: string[] = [];
    const fetch = async (url: string) => { asked.push(url); const b = served[url]; return b ? new Response(b.slice()) : new Response('not found', { status: 404 }); };
    const [entry] = parseCatalog({ backbones: [{ id: 'vit-ext', name: 'ViT (external data)', url: 'https://hub.example/vit/model.onnx', source: 'download', dataFiles: [{ url: 'https://hub.example/vit/model.onnx_data', sizeBytes: 193704 }] }] }, '/models/', false);
    expect(entry.dataFiles).toEqual([{ url: 'https://hub.example/vit/model.onnx_data', path: 'model.onnx_data', sha256: undefined, sizeBytes: 193704 }]);
    const repo = memoryRepo(), s = await studio(repo, fetch);
    const progress: number[] = [];
    s.store.subscribe((st) => { if (st.backbone.progress) progress.push(st.backbone.progress.received); });
    await s.actions.loadCatalogEntry(entry);
    expect(s.store.getState().backbone).toMatchObject({ status: 'ready', url: entry.url });
    expect(asked.filter((u) => u.startsWith('https://hub.example/vit/model.onnx'))).toEqual(['https://hub.example/vit/model.onnx', 'https://hub.example/vit/model.onnx_data']);
    expect(progress[progress.length - 1]).toBe(served['https://hub.example/vit/model.onnx'].length + 193704);
    await new Promise((r) => setTimeout(r, 10));
    asked.length = 0;
    const again = await studio(repo, fetch);
    await again.actions.loadCatalogEntry(entry);
    expect(again.store.getState().backbone.status).toBe('ready');
    expect(asked.filter((u) => u.startsWith('https://hub.example/'))).toEqual([]);
  }, 60_000);

  it('a data file that does not download names it', async () => {
    const fetch = async (url: string) => (url.endsWith('.onnx') ? new Response(readFileSync(join(ONE, 'model.onnx'))) : new Response('gone', { status: 404 }));
    const [entry] = parseCatalog([{ id: 'v', url: 'https://hub.example/v/model.onnx', dataFiles: ['https://hub.example/v/model.onnx_data'] }], '/models/', false);
    const s = await studio(memoryRepo(), fetch);
    await s.actions.loadCatalogEntry(entry);
    expect(s.store.getState().backbone.error).toBe('cannot use model.onnx: data file model.onnx_data: could not download the model (https://hub.example/v/model.onnx_data: HTTP 404)');
  });

  it('a deployable model over the split threshold is exported with its model.onnx_data', async () => {
    const s = await ready();
    await s.actions.start();
    await until(s, (x) => x.run.phase === 'done' && x.runs.some((r) => r.status === 'done'));
    const inline = await s.actions.exportModel();
    expect(inline.alongside).toBeUndefined();
    setSplitThreshold(1024);
    try {
      const split = await s.actions.exportModel();
      expect(split.alongside?.map((f) => f.name)).toEqual(['model.onnx_data']);
      const files = split.alongside!.map((f) => ({ path: f.name, data: f.bytes }));
      expect(decodeModel(split.bytes, { external: filesResolver(files) }).outputs[0].name).toBe('logits');
    } finally {
      setSplitThreshold(DEFAULT_SPLIT_THRESHOLD);
    }
  }, 60_000);
});
