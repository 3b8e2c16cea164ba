// Store actions that bring trained tensors back in and use them: import a run from prompt.safetensors +
// manifest.json (made by the CLI or exported by the studio), evaluate the viewed run on the loaded data, and
// classify a dropped image or webcam frame with it ("try it").
import type { StoreApi } from 'zustand/vanilla';
import type { BackboneInfo } from '../engine/compile.ts';
import type { Family } from '../engine/analyze.ts';
import { MANIFEST_FORMAT, type Manifest } from '../engine/manifest.ts';
import { sha256Hex } from '../io/digest.ts';
import { FileFormatError } from '../io/file-error.ts';
import { readSafetensors } from '../io/safetensors.ts';
import { readManifestJson } from '../io/schemas/manifest.ts';
import type { RunRecord, RunsRepo } from '../persist/runs.ts';
import type { WorkerClient } from '../worker/client.ts';
import type { WireTensor } from '../worker/protocol.ts';
import type { StudioState } from './state.ts';
import { importedFigures } from './run-figures.ts';

export interface ImportDeps { client: WorkerClient; repo: RunsRepo; now: () => number; refreshRuns: () => Promise<void>; ensureBackbone: (r: RunRecord) => Promise<void> }

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/** Tensors of a prompt.safetensors as wire tensors, and its int32 `mapping` separately. */
export function parsePrompt(bytes: Uint8Array, file = 'prompt.safetensors'): { params: Record<string, WireTensor>; mapping: number[] | undefined } {
  let tensors: ReturnType<typeof readSafetensors>['tensors'];
  try { ({ tensors } = readSafetensors(bytes)); } catch (e) { throw new FileFormatError(`${file}: ${message(e).replace(/^safetensors: /, '')}`); }
  const params: Record<string, WireTensor> = {};
  let mapping: number[] | undefined;
  for (const [k, t] of Object.entries(tensors)) {
    if (k === 'mapping') { mapping = Array.from(t.data, Number); continue; }
    if (!(t.data instanceof Float32Array)) throw new Error(`prompt.safetensors: tensor '${k}' is ${t.dtype}, float32 expected`);
    params[k] = { dtype: 'float32', shape: t.shape, data: t.data };
  }
  return { params, mapping };
}

/** Refuses a manifest whose settings contradict its tensors (one line naming the tensor and the setting). */
export function checkManifestTensors(m: Manifest, params: Record<string, WireTensor>, mapping: number[] | undefined): void {
  if (m.format !== MANIFEST_FORMAT) throw new Error(`manifest.json: format '${String(m.format)}' is not ${MANIFEST_FORMAT}`);
  const c = m.settings, L = m.backbone.inputSize, C = m.classes.length;
  const want: Record<string, (number | undefined)[]> = {};
  if (c.method === 'lorvp') { want['prompt.B'] = [3, L, c.rank]; want['prompt.A'] = [3, c.rank, L]; }
  if (c.method === 'vpt' || c.method === 'vpt-deep') want['prompt.tokens'] = [c.tokens, undefined];
  if (c.method === 'pad') { want['prompt.pad_up'] = [1, 3, c.padWidth, L]; }
  if (c.head === 'lp' || c.head === 'fm') { want['head.weight'] = [C, undefined]; want['head.bias'] = [C]; }
  for (const [k, shape] of Object.entries(want)) {
    const t = params[k];
    if (!t) throw new Error(`prompt.safetensors has no '${k}', which ${c.method} + ${c.head} needs`);
    if (t.shape.length !== shape.length || shape.some((d, i) => d !== undefined && d !== t.shape[i])) {
      throw new Error(`prompt.safetensors: '${k}' is [${t.shape}] but manifest.json's settings (${c.method}, rank ${c.rank}, input ${L}, ${C} classes) need [${shape.map((d) => d ?? '·')}]`);
    }
  }
  if ((c.head === 'flm' || c.head === 'ilm') && mapping?.length !== C) throw new Error(`prompt.safetensors: the mapping has ${mapping?.length ?? 0} entries for ${C} classes`);
}

/** The families a manifest may name (anything else reads as unknown). */
const FAMILIES: readonly Family[] = ['vit', 'swin', 'resnet', 'cnn'];

export function recordFromManifest(m: Manifest, id: string, created: string, trainable: number): RunRecord {
  if (m.format !== MANIFEST_FORMAT) throw new Error(`manifest.json: format '${String(m.format)}' is not ${MANIFEST_FORMAT}`);
  const info: BackboneInfo = { family: FAMILIES.find((f) => f === m.backbone.family) ?? 'unknown', inputName: '', inputSize: m.backbone.inputSize, fixedBatch: undefined, numSourceClasses: undefined, featureWidth: undefined, featureSource: undefined, loadNotes: [], inputSizeFixed: true, vit: undefined, params: m.backbone.params };
  return {
    id, name: `${m.settings.method} + ${m.settings.head} · ${m.backbone.file} (imported)`, created, status: 'done', cfg: m.settings, classes: m.classes,
    backbone: { name: m.backbone.file, sha256: m.backbone.sha256, info }, data: { name: 'imported', train: m.data.train, val: m.data.val, skipped: m.data.skipped },
    trainable, backend: m.backend, totalSteps: Number(m.final.steps ?? 0), steps: [], epochs: [], seconds: Number(m.final.seconds ?? 0), imported: importedFigures(m.final),
  };
}

export function importActions(store: StoreApi<StudioState>, d: ImportDeps) {
  const set = store.setState, get = store.getState;
  return {
    /** Imports prompt.safetensors + manifest.json (both needed) as a saved run and opens it. */
    async importRun(files: { name: string; bytes: Uint8Array }[]): Promise<void> {
      try {
        const st = files.find((f) => f.name.endsWith('.safetensors')), mf = files.find((f) => f.name.endsWith('.json'));
        if (!st || !mf) throw new Error('choose both prompt.safetensors and manifest.json of a run');
        const { params, mapping } = parsePrompt(st.bytes, st.name);
        const m = readManifestJson(mf.bytes, mf.name);
        checkManifestTensors(m, params, mapping);
        const trainable = Object.values(params).reduce((a, t) => a + t.data.length, 0);
        // the same files imported twice are the same run: its id comes from their content
        const both = new Uint8Array(st.bytes.length + mf.bytes.length);
        both.set(st.bytes); both.set(mf.bytes, st.bytes.length);
        const id = `import-${(await sha256Hex(both)).slice(0, 16)}`;
        const again = get().runs.some((r) => r.id === id);
        const record = { ...recordFromManifest(m, id, new Date(d.now()).toISOString(), trainable), mapping };
        await d.repo.saveTensors(record.id, params);
        await d.repo.save(record);
        await d.refreshRuns();
        const s = get(), missing = [
          ...(s.backbone.sha256 === m.backbone.sha256 ? [] : [`its backbone (${m.backbone.file})`]),
          ...(s.data.summary?.classes.join('\u0000') === m.classes.join('\u0000') ? [] : [`data with its classes (${m.classes.join(', ')})`]),
        ];
        set({ view: { record, params }, notice: `${again ? 'already imported' : 'imported'}: ${m.settings.method} + ${m.settings.head} run on ${m.backbone.file}${missing.length ? ` — load ${missing.join(' and ')} to evaluate or continue it` : ''}` });
      } catch (e) {
        set({ notice: `import failed: ${message(e)}` });
      }
    },

    /** Scores the viewed run on the loaded data's validation split (per class, confusion, samples). */
    async evaluateView(): Promise<void> {
      const v = get().view;
      if (!v) return;
      try {
        await d.ensureBackbone(v.record);
        const r = await d.client.evaluate(v.record.cfg, v.record.classes, v.params, v.record.mapping);
        const record = { ...v.record, evaluation: r.evaluation, samples: r.samples.slice(0, 2) };
        await d.repo.save(record);
        set({ view: { record, params: v.params } });
        await d.refreshRuns();
      } catch (e) {
        set({ notice: `evaluation failed: ${message(e)}` });
      }
    },

    /** A try-it problem that is not the model's (the webcam refused): replaces the previous error. */
    tryError(error: string): void { set({ tryit: { status: 'error', probabilities: [], preview: undefined, error } }); },
    /** Classifies one image with the viewed run; errors name the image (`what`). */
    async tryImage(image: Blob, what = 'the image'): Promise<void> {
      const v = get().view;
      if (!v) { set({ notice: 'train a run (or open one) first' }); return; }
      set({ tryit: { ...get().tryit, status: 'busy', error: undefined } });
      try {
        await d.ensureBackbone(v.record);
        const r = await d.client.classify(v.record.id, v.record.cfg, v.record.classes.length, v.params, v.record.mapping, image);
        set({ tryit: { status: 'ready', probabilities: r.probabilities, preview: r.preview, error: undefined } });
      } catch (e) {
        set({ tryit: { status: 'error', probabilities: [], preview: undefined, error: `${what}: ${message(e)}` } });
      }
    },
  };
}
