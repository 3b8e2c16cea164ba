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
import { CHECKPOINT_KEY, decodeCheckpoint, type CheckpointMeta } from '../engine/checkpoint-file.ts';
import type { TrainConfig } from '../engine/config.ts';
import { configOfFlags } from '../engine/run-flags.ts';
import type { RunRecord, RunsRepo } from '../persist/runs.ts';
import type { WorkerClient } from '../worker/client.ts';
import type { WireTensor } from '../worker/protocol.ts';
import type { StudioState } from './state.ts';
import { importedFigures } from './run-figures.ts';

export interface ImportDeps { client: WorkerClient; repo: RunsRepo; now: () => number; refreshRuns: () => Promise<void>; ensureBackbone: (r: RunRecord) => Promise<void> }

const message = (e: unknown) => (e instanceof Error ? e.message : String(e));
const sizeOf = (params: Record<string, WireTensor>) => Object.values(params).reduce((a, t) => a + t.data.length, 0);
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
};

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
  checkSettingsTensors(m.settings, m.backbone.inputSize, m.classes.length, params, mapping, 'prompt.safetensors', "manifest.json's settings");
}

/** Refuses tensors that the settings (method, head, rank, input L, C classes) contradict: one line naming the tensor. */
export function checkSettingsTensors(c: TrainConfig, L: number, C: number, params: Record<string, WireTensor>, mapping: ArrayLike<number> | undefined, file: string, settings: string): void {
  const want: Record<string, (number | undefined)[]> = {};
  if (c.method === 'lorvp') { want['prompt.B'] = [3, L, c.rank]; want['prompt.A'] = [3, c.rank, L]; }
  if (c.method === 'vpt' || c.method === 'vpt-deep') want['prompt.tokens'] = [c.tokens, undefined];
  if (c.method === 'pad') { want['prompt.pad_up'] = [1, 3, c.padWidth, L]; }
  if (c.head === 'lp' || c.head === 'fm') { want['head.weight'] = [C, undefined]; want['head.bias'] = [C]; }
  for (const [k, shape] of Object.entries(want)) {
    const t = params[k];
    if (!t) throw new Error(`${file} has no '${k}', which ${c.method} + ${c.head} needs`);
    if (t.shape.length !== shape.length || shape.some((d, i) => d !== undefined && d !== t.shape[i])) {
      throw new Error(`${file}: '${k}' is [${t.shape}] but ${settings} (${c.method}, rank ${c.rank}, input ${L}, ${C} classes) need [${shape.map((d) => d ?? '·')}]`);
    }
  }
  if ((c.head === 'flm' || c.head === 'ilm') && mapping?.length !== C) throw new Error(`${file}: the mapping has ${mapping?.length ?? 0} entries for ${C} classes`);
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

/** A saved run from a checkpoint.safetensors (trained anywhere): its settings from the flags, 'stopped' while epochs
 * remain (the runs table offers resume), 'done' when it completed them. Needs the classes and the backbone's
 * identity, which checkpoints carry since they travel (an older one: import its manifest.json with it). */
export function recordFromCheckpoint(meta: CheckpointMeta, id: string, created: string, trainable: number, file = 'checkpoint.safetensors'): RunRecord {
  if (!meta.classes) throw new Error(`${file} does not name its classes (written by an older vp-studio): import the run's manifest.json with it`);
  const bb = meta.backbone;
  if (!bb?.sha256) throw new Error(`${file} does not identify its backbone (no sha256): import the run's manifest.json with it`);
  const cfg = configOfFlags(meta.flags, (m) => new Error(`${file}: ${m.replace(/^--/, 'flag --')}`));
  const info: BackboneInfo = { family: FAMILIES.find((f) => f === bb.family) ?? 'unknown', inputName: '', inputSize: bb.inputSize, fixedBatch: undefined, numSourceClasses: undefined, featureWidth: undefined, featureSource: undefined, loadNotes: [], inputSizeFixed: true, vit: undefined, params: 0 };
  const done = meta.epoch >= cfg.epochs, n = meta.data?.train ?? 0;
  return {
    id, name: `${cfg.method} + ${cfg.head} · ${bb.file} (imported)`, created, status: done ? 'done' : 'stopped', cfg, classes: meta.classes,
    backbone: { name: bb.file, sha256: bb.sha256, info }, data: { name: basename(meta.flags.data), train: n, val: meta.data?.val ?? 0, skipped: [] },
    trainable, backend: 'imported', totalSteps: n ? Math.ceil(n / cfg.batchSize) * cfg.epochs : meta.step, steps: [], epochs: meta.epochs,
    seconds: meta.epochs.reduce((t, e) => t + (e.seconds ?? 0), 0),
  };
}

const basename = (p: string) => p.split(/[\\/]/).filter(Boolean).pop() ?? p;

/** The run files among those chosen, told apart by content (a checkpoint carries its metadata key), not by name. */
function classify(files: { name: string; bytes: Uint8Array }[]): { prompt?: (typeof files)[number]; manifest?: (typeof files)[number]; checkpoint?: (typeof files)[number] } {
  const out: ReturnType<typeof classify> = {};
  for (const f of files) {
    if (f.name.endsWith('.safetensors')) {
      let meta: Record<string, string> = {};
      try { meta = readSafetensors(f.bytes).metadata; } catch { /* reported by the reader that takes it */ }
      if (CHECKPOINT_KEY in meta) out.checkpoint ??= f; else out.prompt ??= f;
    } else if (f.name.endsWith('.json') && !/checkpoint/i.test(f.name)) out.manifest ??= f;  // checkpoint.json: a copy of the checkpoint's metadata
  }
  return out;
}

export function importActions(store: StoreApi<StudioState>, d: ImportDeps) {
  const set = store.setState, get = store.getState;
  return {
    /** Imports a run as a saved run and opens it: prompt.safetensors + manifest.json (a finished run), and/or its
     * checkpoint.safetensors (then it can be resumed here: a run trained in the CLI or PyTorch continues in the studio). */
    async importRun(files: { name: string; bytes: Uint8Array }[]): Promise<void> {
      try {
        const { prompt: st, manifest: mf, checkpoint: ckf } = classify(files);
        if (!ckf && (!st || !mf)) throw new Error('choose both prompt.safetensors and manifest.json of a run (or its checkpoint.safetensors, to continue it)');
        const ck = ckf ? decodeCheckpoint(ckf.bytes, ckf.name) : undefined;
        let params: Record<string, WireTensor>, mapping: number[] | undefined, record: RunRecord, m: Manifest | undefined;
        const content = [...(st && mf ? [st.bytes, mf.bytes] : []), ...(ckf ? [ckf.bytes] : [])];
        const id = `import-${(await sha256Hex(concat(content))).slice(0, 16)}`;
        const created = new Date(d.now()).toISOString();
        if (st && mf) {
          ({ params, mapping } = parsePrompt(st.bytes, st.name));
          m = readManifestJson(mf.bytes, mf.name);
          checkManifestTensors(m, params, mapping);
          record = { ...recordFromManifest(m, id, created, sizeOf(params)), mapping };
          if (ck) {  // the checkpoint must be this run's: its classes and backbone
            const other = ck.meta.classes && ck.meta.classes.join('\u0000') !== m.classes.join('\u0000') ? 'classes' : ck.meta.backbone?.sha256 && ck.meta.backbone.sha256 !== m.backbone.sha256 ? 'backbone' : undefined;
            if (other) throw new Error(`${ckf!.name} is not this run's checkpoint: its ${other} differ from ${mf.name}'s`);
            record = { ...record, epochs: ck.meta.epochs };
          }
        } else {
          const c = ck!;
          params = Object.fromEntries(Object.entries(c.tensors).filter(([k]) => !k.startsWith('state.')).map(([k, t]) => [k, { dtype: 'float32' as const, shape: t.shape, data: t.data }]));
          mapping = c.mapping ? Array.from(c.mapping) : undefined;
          record = { ...recordFromCheckpoint(c.meta, id, created, sizeOf(params), ckf!.name), ...(mapping ? { mapping } : {}) };
          checkSettingsTensors(record.cfg, record.backbone.info.inputSize, record.classes.length, params, mapping, ckf!.name, 'its flags');
        }
        const again = get().runs.some((r) => r.id === id);
        if (ck) {
          const tensors = Object.fromEntries(Object.entries(ck.tensors).map(([k, t]) => [k, { dtype: 'float32' as const, shape: t.shape, data: t.data }]));
          await d.repo.saveCheckpoint(id, { epoch: ck.meta.epoch, step: ck.meta.step, rngState: ck.meta.rngState, tensors, mapping: ck.mapping ? Array.from(ck.mapping) : undefined, epochs: ck.meta.epochs });
        }
        await d.repo.saveTensors(record.id, params);
        await d.repo.save(record);
        await d.refreshRuns();
        const s = get(), classes = record.classes, missing = [
          ...(s.backbone.sha256 === record.backbone.sha256 ? [] : [`its backbone (${record.backbone.name})`]),
          ...(s.data.summary?.classes.join('\u0000') === classes.join('\u0000') ? [] : [`data with its classes (${classes.join(', ')})`]),
        ];
        const what = `${record.cfg.method} + ${record.cfg.head} run on ${record.backbone.name}${record.status === 'stopped' ? ` after epoch ${ck!.meta.epoch} of ${record.cfg.epochs}` : ''}`;
        const next = record.status === 'stopped' ? 'resume' : 'evaluate or continue';
        set({ view: { record, params }, notice: `${again ? 'already imported' : 'imported'}: ${what}${missing.length ? ` — load ${missing.join(' and ')} to ${next} it` : record.status === 'stopped' ? ' — resume it from Saved runs' : ''}` });
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
