// Test harness of the store tests: the studio wired back-to-back to a real worker Handler in this process
// (onnxruntime-node executor, sharp decoding), the tiny fixtures as dropped files, and state waiting.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeImage } from '../data/decode-node.ts';
import { memoryRepo, type RunsRepo } from '../persist/runs.ts';
import { NodeExecutor } from '../runtime/node-executor.ts';
import { WorkerClient, type WorkerPort } from '../worker/client.ts';
import { Handler } from '../worker/handler.ts';
import type { DataFile, Request, Response } from '../worker/protocol.ts';
import type { StudioState } from './state.ts';
import { createStudio, type Studio, type StudioDeps } from './studio.ts';

export const FIX = join(import.meta.dirname, '../../e2e/fixtures');
export const tinyVit = () => new Uint8Array(readFileSync(join(FIX, 'tiny-vit.onnx')));

export function shapes(): DataFile[] {
  const out: DataFile[] = [];
  const walk = (dir: string, rel: string) => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(dir, e.name), `${rel}/${e.name}`);
      else out.push({ path: `${rel}/${e.name}`, blob: new Blob([readFileSync(join(dir, e.name))]) });
    }
  };
  walk(join(FIX, 'shapes'), 'shapes');
  return out;
}

/** A WorkerPort whose other end is a Handler in this process (messages cross on later tasks, as with a worker). */
export function backToBack(): WorkerPort {
  const listeners: Array<(e: MessageEvent<Response>) => void> = [];
  const handler = new Handler((msg) => setTimeout(() => listeners.forEach((fn) => fn(new MessageEvent('message', { data: msg })))), {
    codec: { decode: async (b) => decodeImage(new Uint8Array(await b.arrayBuffer())), thumbnail: async () => new Blob([]) },
    createBackend: async () => ({ executor: new NodeExecutor(1), runtime: 'onnxruntime-node', ep: 'wasm', crossOriginIsolated: false, threads: 1 }),
  });
  return { postMessage: (msg: Request) => setTimeout(() => void handler.handle(msg)), addEventListener: (_t, fn) => listeners.push(fn) };
}

export const notFound = async () => new Response('not found', { status: 404 });

export function until(s: Studio, pred: (st: StudioState) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (pred(s.store.getState())) return resolve();
    const off = s.store.subscribe((st) => { if (pred(st)) { off(); resolve(); } });
  });
}

/** The studio booted on the tiny ViT and the shapes folder (1 epoch, batch 8); `deps`: more of its dependencies. */
/** A 40-epoch run on `repo` stopped once its first end-of-epoch checkpoint is out (saved as 'stopped'). */
export async function stoppedAfterFirstEpoch(repo: RunsRepo): Promise<{ s: Studio & { client: WorkerClient }; id: string }> {
  const s = await ready(repo);
  s.actions.setCfg({ epochs: 40 });
  await s.actions.refreshPlan();
  const off = s.client.on((m) => { if (m.type === 'checkpoint') { off(); s.actions.stop(); } });
  const id = (await s.actions.start())!;
  await until(s, (x) => x.run.phase === 'stopped' && x.runs.some((r) => r.status === 'stopped'));
  return { s, id };
}

export async function ready(repo: RunsRepo = memoryRepo(), deps: Partial<StudioDeps> = {}): Promise<Studio & { client: WorkerClient }> {
  const client = new WorkerClient(backToBack());
  const s = Object.assign(createStudio({ client, repo, fetch: notFound, versions: { 'vp-studio': 'test' }, ...deps }), { client });
  await s.actions.boot({ preload: false });
  await s.actions.loadBackboneFile('tiny-vit.onnx', tinyVit());
  await s.actions.loadFiles('shapes', shapes());
  s.actions.setCfg({ epochs: 1, batchSize: 8, lr: 0.05 });
  await s.actions.refreshPlan();
  return s;
}

