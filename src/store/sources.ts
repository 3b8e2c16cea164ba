// Store actions that bring in a backbone (bundled starter, downloaded catalogue model cached in IndexedDB, or a
// dropped .onnx — with its external data files, if it keeps its weights in them) and a dataset (dropped/picked folders or the bundled demo). Every load takes a ticket so a slow
// earlier load never overwrites a later choice; the worker describes and decodes, the store keeps the summary.
import type { StoreApi } from 'zustand/vanilla';
import type { RunsRepo } from '../persist/runs.ts';
import type { WorkerClient } from '../worker/client.ts';
import type { ExternalFile } from '../onnx/external.ts';
import type { DataFile } from '../worker/protocol.ts';
import { parseModelMeta, type ModelMeta } from '../engine/model-meta.ts';
import { readCatalogJson } from '../io/schemas/catalog.ts';
import { readJson } from '../io/json.ts';
import { packIndexSchema } from '../io/schemas/studio.ts';
import { download, type DownloadProgress } from './download.ts';
import { catalogEntryOf, parseCatalog, suggestNormalisation, type CatalogEntry, type Normalisation } from './catalog.ts';
import { downloadDataFiles, droppedDataFiles, type DroppedFile } from './data-files.ts';
import type { StudioState } from './state.ts';

export interface Fetcher { (url: string): Promise<Response> }

export interface SourceDeps { client: WorkerClient; repo: RunsRepo; fetch: Fetcher; refreshPlan: () => Promise<void> }

const IMAGE_PATH = /\.(png|jpe?g|webp|bmp|gif)$/i;

/** Every image path mentioned anywhere in a dataset index JSON. */
export function imagePathsOf(index: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'string') { if (IMAGE_PATH.test(v)) out.push(v); }
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(index);
  return [...new Set(out)];
}

/** The paper's pad width (30 at 224) scaled to the input size, so the pad prompt always fits (p < L/2). */
export const fittingPadWidth = (L: number): number => Math.max(1, Math.min(Math.floor((L - 1) / 2), Math.round((30 * L) / 224)));

export function sourceActions(store: StoreApi<StudioState>, d: SourceDeps) {
  let backboneTicket = 0, dataTicket = 0;
  const set = store.setState, get = store.getState;
  /** A load that failed keeps the working backbone (the worker keeps it too) and says what failed. */
  let working: StudioState['backbone'] | undefined;
  const failed = (e: unknown) => {
    const name = get().backbone.name, msg = `cannot use ${name || 'this model'}: ${e instanceof Error ? e.message : String(e)}`;
    set({ backbone: working ? { ...working, error: msg } : { ...get().backbone, status: 'error', error: msg, progress: undefined } });
  };

  async function useBackbone(name: string, bytes: Uint8Array, url: string | undefined, ticket: number, meta?: ModelMeta, shaSource?: 'published' | 'recorded', external: ExternalFile[] = []): Promise<void> {
    if (ticket !== backboneTicket) return;
    try {
      const r = await d.client.backbone(name, bytes, { preprocessorSize: meta?.size }, external);
      if (ticket !== backboneTicket) return;
      const norm: Normalisation = meta?.mean && meta.std ? { mean: meta.mean, std: meta.std, why: "from the model's preprocessor_config.json" } : suggestNormalisation(r.info, r.sha256, name, get().catalog, url);
      const cfg = { ...get().cfg, mean: norm.mean, std: norm.std };
      if ((cfg.method === 'vpt' || cfg.method === 'vpt-deep') && r.info.family !== 'vit') cfg.method = 'lorvp';
      cfg.padWidth = fittingPadWidth(r.info.inputSize);
      // learning rates measured for this backbone (the starters), said in the Method panel
      const rec = catalogEntryOf(get().catalog, { url, sha256: r.sha256 })?.recommended;
      if (rec) { cfg.lr = rec.lr; cfg.promptLr = rec.promptLr; }
      working = { status: 'ready', name, url, progress: undefined, sha256: r.sha256, info: r.info, warnings: r.warnings, error: undefined, norm, bytes: external.reduce((n, f) => n + f.data.length, bytes.length), meta, shaSource };
      set({ cfg, backbone: working });
      if (!url || /^https?:/.test(url)) {
        void d.repo.saveBackbone(r.sha256, name, bytes, external).then(() => (url ? d.repo.linkBackbone(`url:${url}`, r.sha256) : undefined)).catch(() => undefined);
      }
      await d.refreshPlan();
    } catch (e) {
      if (ticket === backboneTicket) failed(e);
    }
  }

  /** A dropped model (with what came with it, read by `read`, which may throw): loading state, then useBackbone. */
  async function loadDropped(name: string, read: () => Promise<{ bytes: Uint8Array; meta?: ModelMeta; external?: ExternalFile[] }>): Promise<void> {
    const ticket = ++backboneTicket;
    set({ backbone: { ...get().backbone, status: 'loading', name, url: undefined, progress: undefined, error: undefined } });
    try {
      const { bytes, meta, external } = await read();
      await useBackbone(name, bytes, undefined, ticket, meta, undefined, external);
    } catch (e) {
      if (ticket === backboneTicket) failed(e);
    }
  }

  /** The model's own config.json / preprocessor_config.json named by a catalogue entry (absent or unreachable: none). */
  async function entryMeta(entry: CatalogEntry): Promise<ModelMeta | undefined> {
    if (!entry.config && !entry.preprocessor) return undefined;
    const text = async (url: string | undefined) => {
      if (!url) return undefined;
      const res = await d.fetch(url).catch(() => undefined);
      return res?.ok ? res.text() : undefined;
    };
    const [config, preprocessor] = await Promise.all([text(entry.config), text(entry.preprocessor)]);
    return config || preprocessor ? parseModelMeta({ config, preprocessor }) : undefined;
  }

  /** A demo's pack.bin (u32 LE header length, JSON [{path, length}], bytes), or undefined when absent. */
  async function unpack(url: string): Promise<DataFile[] | undefined> {
    const res = await d.fetch(url).catch(() => undefined);
    if (!res?.ok || /text\/html/.test(res.headers.get('content-type') ?? '')) return undefined;
    const buf = new Uint8Array(await res.arrayBuffer());
    if (buf.length < 4) return undefined;
    const n = new DataView(buf.buffer).getUint32(0, true);
    let entries: { path: string; length: number }[];
    try { entries = readJson(packIndexSchema, buf.subarray(4, 4 + n), url); } catch { return undefined; }
    if (4 + n + entries.reduce((a, e) => a + e.length, 0) > buf.length) return undefined;   // an index longer than its pack
    let o = 4 + n;
    return entries.map((e) => { const blob = new Blob([buf.slice(o, o + e.length)]); o += e.length; return { path: e.path.replace(/^\/?(demo\/)?/, ''), blob }; });
  }

  /** The images of a demo index fetched one by one (8 at a time). */
  async function fetchEach(paths: string[], dir: string, ticket: number): Promise<DataFile[]> {
    const files: DataFile[] = new Array(paths.length);
    let next = 0, done = 0;
    const worker = async () => {
      while (next < paths.length && ticket === dataTicket) {
        const i = next++, p = paths[i];
        const url = p.startsWith('/') ? p : p.startsWith('demo/') ? `/${p}` : dir + p;
        files[i] = { path: url.replace(/^\/(demo\/)?/, ''), blob: await (await d.fetch(url)).blob() };
        if (++done % 50 === 0 && ticket === dataTicket) set({ data: { ...get().data, progress: { done, total: paths.length } } });
      }
    };
    await Promise.all(Array.from({ length: 8 }, worker));
    return files;
  }

  async function ingest(name: string, files: DataFile[], ticket: number, fromDemo = false, base: { name: string; files: DataFile[] } = { name, files }): Promise<void> {
    if (ticket !== dataTicket) return;
    set({ data: { status: 'loading', name, progress: { done: 0, total: files.length }, summary: undefined, error: undefined, files: new Map(files.map((f) => [f.path, f.blob])), fromDemo, base } });
    const off = d.client.on((m) => { if (m.type === 'data-progress' && ticket === dataTicket) set({ data: { ...get().data, progress: { done: m.done, total: m.total } } }); });
    try {
      const r = await d.client.data(files);
      if (ticket !== dataTicket) return;
      set({ data: { ...get().data, status: 'ready', summary: r.summary, progress: undefined } });
      await d.refreshPlan();
    } catch (e) {
      if (ticket === dataTicket) set({ data: { ...get().data, status: 'error', progress: undefined, error: e instanceof Error ? e.message : String(e) } });
    } finally {
      off();
    }
  }

  /** The loaded data's files plus the webcam frames, as class folders beside the data's own (under its root, and
   * in train/ when the data has train/ + val/). */
  function withFrames(files: DataFile[], frames: { id: string; cls: string; blob: Blob }[]): DataFile[] {
    const tops = new Set(files.map((f) => f.path.split('/')[0]));
    const root = tops.size === 1 && files.every((f) => f.path.includes('/')) ? `${[...tops][0]}/` : '';
    const splits = files.some((f) => new RegExp(`^${root}(train|training)/`, 'i').test(f.path));
    return [...files, ...frames.map((f) => ({ path: `${root || 'webcam/'}${splits ? 'train/' : ''}${f.cls}/webcam-${f.id}.png`, blob: f.blob }))];
  }

  async function mergeWebcam(): Promise<void> {
    const base = get().data.base, frames = get().webcam;
    if (!base) { if (frames.length) await ingest('webcam', withFrames([], frames), ++dataTicket, false, { name: 'webcam', files: [] }); return; }
    await ingest(frames.length ? `${base.name} + webcam` : base.name, withFrames(base.files, frames), ++dataTicket, get().data.fromDemo, base);
  }

  return {
    /** Loads models/starters.json and models/catalog.json (missing files are simply empty; a malformed one is
     * left out, its one-line problem in the notice). */
    async loadCatalog(base = '/models/'): Promise<CatalogEntry[]> {
      const read = async (file: string, bundled: boolean) => {
        const res = await d.fetch(base + file).catch(() => undefined);
        // a missing file may come back as the app's own index.html (a dev server's fallback): none
        if (!res?.ok || /text\/html/.test(res.headers?.get('content-type') ?? '')) return [];
        try {
          return parseCatalog(readCatalogJson(new Uint8Array(await res.arrayBuffer()), `models/${file}`), base, bundled);
        } catch (e) {
          set({ notice: `catalogue not loaded: ${e instanceof Error ? e.message : String(e)}` });
          return [];
        }
      };
      const [starters, catalog] = await Promise.all([read('starters.json', true), read('catalog.json', false)]);
      const seen = new Set<string>();
      const all = [...starters, ...catalog].filter((e) => !seen.has(e.url) && !!seen.add(e.url));
      set({ catalog: all });
      return all;
    },

    /** A model file (with its external data files, if it has any: a cached backbone). */
    loadBackboneFile(name: string, bytes: Uint8Array, external?: ExternalFile[]): Promise<void> {
      return loadDropped(name, async () => ({ bytes, external }));
    },

    async loadCatalogEntry(entry: CatalogEntry): Promise<void> {
      const ticket = ++backboneTicket;
      const name = entry.url.split('/').pop() ?? entry.name;
      set({ backbone: { ...get().backbone, status: 'loading', name, url: entry.url, progress: undefined, error: undefined } });
      try {
        // downloaded models are cached in IndexedDB (by sha256, with the URL as an alias) by useBackbone, with the
        // data files of a model with external data
        const cached = entry.bundled ? undefined : await d.repo.backbone(entry.sha256 ?? `url:${entry.url}`).catch(() => undefined);
        const complete = cached && (cached.externalData?.length ?? 0) >= (entry.dataFiles?.length ?? 0);
        let bytes = complete ? cached.bytes : undefined, external = complete ? cached.externalData ?? [] : [];
        if (!bytes) {
          const onProgress = (p: DownloadProgress) => { if (ticket === backboneTicket) set({ backbone: { ...get().backbone, progress: p } }); };
          const sizes = [entry.sizeBytes, ...(entry.dataFiles ?? []).map((f) => f.sizeBytes)];
          const total = sizes.every((n) => n !== undefined) ? sizes.reduce((a: number, n) => a + n!, 0) : undefined;
          const got = await download([entry.url, ...(entry.mirrors ?? [])], {
            fetch: d.fetch, sha256: entry.sha256, sizeBytes: entry.sizeBytes,
            onProgress: entry.dataFiles ? (p) => onProgress({ ...p, total, eta: total ? Math.max(0, (total - p.received) / p.rate) : undefined }) : onProgress,
          });
          bytes = got.bytes;
          if (entry.dataFiles) external = await downloadDataFiles(entry.dataFiles, { fetch: d.fetch, onProgress, before: bytes.length, total });
        }
        const meta = await entryMeta(entry);
        await useBackbone(name, bytes, entry.url, ticket, meta, entry.sha256 ? 'published' : 'recorded', external);
      } catch (e) {
        if (ticket === backboneTicket) failed(e);
      }
    },

    /** A dropped model with the hub files that came with it (config.json, preprocessor_config.json, and the
     * external data files it names: model.onnx_data, or one file per tensor). */
    loadBackboneFiles(files: DroppedFile[]): Promise<void> {
      const model = files.find((f) => f.name.toLowerCase().endsWith('.onnx'));
      const bytesOf = async (f: DroppedFile) => f.bytes ?? (f.read ? await f.read() : new Uint8Array());
      const text = async (n: string) => { const f = files.find((x) => x.name === n); return f && new TextDecoder().decode(await bytesOf(f)); };
      return loadDropped(model?.name ?? files[0]?.name ?? '', async () => {
        if (!model) throw new Error(`no .onnx file among ${files.map((f) => f.name).join(', ')}`);
        const bytes = await bytesOf(model);
        const external = await droppedDataFiles(model.name, bytes, files.filter((f) => f !== model));
        const meta = parseModelMeta({ config: await text('config.json'), preprocessor: await text('preprocessor_config.json') });
        return { bytes, meta: meta.notes.length ? meta : undefined, external };
      });
    },

    /** Re-loads the backbone at another input size L (only where its graph leaves L free). */
    async setInputSize(L: number): Promise<void> {
      const b = get().backbone;
      if (b.status !== 'ready' || !b.info || b.info.inputSizeFixed || L === b.info.inputSize) return;
      const ticket = ++backboneTicket;
      try {
        const r = await d.client.backboneSize(L);
        if (ticket !== backboneTicket) return;
        const cfg = { ...get().cfg };
        cfg.padWidth = fittingPadWidth(r.info.inputSize);
        working = { ...get().backbone, info: r.info, warnings: r.warnings, error: undefined };
        set({ cfg, backbone: working });
        await d.refreshPlan();
      } catch (e) {
        if (ticket === backboneTicket) set({ backbone: { ...get().backbone, error: e instanceof Error ? e.message : String(e) } });
      }
    },

    setNormalisation(mean: number[], std: number[]): void {
      const b = get().backbone;
      set({ cfg: { ...get().cfg, mean, std }, backbone: { ...b, norm: { mean, std, why: 'edited' } } });
    },

    loadFiles(name: string, files: DataFile[]): Promise<void> {
      const frames = get().webcam;
      if (!frames.length) return ingest(name, files, ++dataTicket);
      return ingest(`${name} + webcam`, withFrames(files, frames), ++dataTicket, false, { name, files });
    },

    /** Frames from the webcam for class `cls` (hold to record): saved, and merged into the loaded data. */
    async addWebcamFrames(cls: string, blobs: Blob[]): Promise<void> {
      const name = cls.trim();
      if (!name || /[/\\]/.test(name)) { set({ notice: 'give the webcam class a name (no slashes)' }); return; }
      const t = Date.now().toString(36);
      const frames = [...get().webcam, ...blobs.map((blob, i) => ({ id: `${t}-${i}`, cls: name, blob }))];
      set({ webcam: frames });
      await d.repo.saveWebcamFrames(frames).catch(() => undefined);
      await mergeWebcam();
    },
    async removeWebcamFrame(id: string): Promise<void> {
      const frames = get().webcam.filter((f) => f.id !== id);
      set({ webcam: frames });
      await d.repo.saveWebcamFrames(frames).catch(() => undefined);
      await mergeWebcam();
    },
    /** Frames saved by an earlier visit. */
    async restoreWebcam(): Promise<void> {
      const frames = await d.repo.webcamFrames().catch(() => []);
      if (frames.length) { set({ webcam: frames }); await mergeWebcam(); }
    },

    /** The bundled demo dataset: public/demo/<name>/index.json lists its images. */
    async loadDemo(indexUrl = '/demo/fashion/index.json'): Promise<boolean> {
      const ticket = ++dataTicket;
      const res = await d.fetch(indexUrl).catch(() => undefined);
      if (!res?.ok || ticket !== dataTicket) return false;
      const index: unknown = await res.json();
      const title = index && typeof index === 'object' && 'name' in index && typeof index.name === 'string' ? index.name : 'demo';
      const dir = indexUrl.slice(0, indexUrl.lastIndexOf('/') + 1);
      const paths = imagePathsOf(index);
      set({ data: { ...get().data, status: 'loading', name: title, progress: { done: 0, total: paths.length }, error: undefined } });
      const files = (await unpack(dir + 'pack.bin')) ?? (await fetchEach(paths, dir, ticket));
      if (ticket !== dataTicket) return false;
      await ingest(title, files, ticket, true);
      return ticket === dataTicket;
    },
  };
}

export type SourceActions = ReturnType<typeof sourceActions>;
