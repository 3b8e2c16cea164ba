// Store actions on saved runs: list (after a reload, interrupted runs show as such), open one in the results
// view, compare curves, delete (with undo), continue training from its tensors, and export the viewed run's files in the
// CLI's formats (prompt.safetensors, manifest.json, model.onnx — the last built by the worker's engine — and
// checkpoint.safetensors, to continue the run in the CLI or PyTorch).
import type { StoreApi } from 'zustand/vanilla';
import type { RunRecord, RunsRepo } from '../persist/runs.ts';
import type { WorkerClient } from '../worker/client.ts';
import type { WireCheckpoint, WireTensor } from '../worker/protocol.ts';
import { buildManifest, checkpointFile, promptSafetensors } from './exports.ts';
import { emptyRun, isActive, type Phase, type StudioState } from './state.ts';
import { checkpointParams, untrainedReason } from './run-figures.ts';

/** The Train panel's phase for an opened saved run. */
const PHASE_OF: Record<RunRecord['status'], Phase> = { done: 'done', stopped: 'stopped', diverged: 'diverged', error: 'error', interrupted: 'stopped', running: 'stopped' };

export interface LibraryDeps {
  client: WorkerClient;
  repo: RunsRepo;
  versions: () => Record<string, string>;
  isLive: (id: string) => boolean;
  /** Makes the run's backbone the current one (from the IndexedDB cache or its URL); throws when it cannot. */
  ensureBackbone: (r: RunRecord) => Promise<void>;
}

/** A file to save; `alongside`: files that must be saved next to it (a large model's data file). */
export interface FileOut { name: string; bytes: Uint8Array; mime: string; alongside?: FileOut[] }

export function libraryActions(store: StoreApi<StudioState>, d: LibraryDeps) {
  const set = store.setState, get = store.getState;

  /** The last deleted run, while undo can bring it back. */
  let held: { record: RunRecord; tensors: Record<string, WireTensor> | undefined; checkpoint: WireCheckpoint | undefined; viewed: StudioState['view'] } | undefined;
  /** Corrupt records already reported (each once per session). */
  const reported = new Set<string>();
  const refreshRuns = async (): Promise<void> => {
    const { runs: stored, corrupt } = await d.repo.listChecked().catch(() => ({ runs: [] as RunRecord[], corrupt: [] as string[] }));
    const runs = stored.map((r) => (r.status === 'running' && !d.isLive(r.id) ? { ...r, status: 'interrupted' as const } : r));
    const fresh = corrupt.filter((c) => !reported.has(c));
    fresh.forEach((c) => reported.add(c));
    set(fresh.length ? { runs, notice: `skipped ${fresh.length === 1 ? 'a saved run that' : `${fresh.length} saved runs that`} could not be read: ${fresh[0]}` } : { runs });
  };

  const viewed = () => {
    const v = get().view;
    if (!v) throw new Error('no finished run to export: train one or open a saved run');
    const why = untrainedReason(v.record);
    if (why) throw new Error(why);
    return v;
  };

  return {
    refreshRuns,
    /** Opens a saved run in the results; one that never finished (interrupted, failed) from its last end-of-epoch
     * checkpoint, as it was after that epoch (it can still be resumed). */
    async openRun(id: string): Promise<void> {
      let record = get().runs.find((r) => r.id === id);
      if (!record) return;
      let params;
      try { params = await d.repo.tensors(id); } catch (e) { set({ notice: `cannot open ${record.name}: ${e instanceof Error ? e.message : String(e)}` }); return; }
      if (!params) {
        const cp = await d.repo.checkpoint(id).catch(() => undefined);
        if (cp) { params = checkpointParams(cp); record = { ...record, epochs: cp.epochs, ...(cp.mapping ? { mapping: cp.mapping } : {}) }; }
      }
      if (!params) { set({ notice: `run ${record.name} has no saved tensors: it ended before its first epoch did` }); return; }
      set({ view: { record, params } });
      // its curves in the charts, unless a run is training
      if (!isActive(get().run.phase)) {
        set({ run: { ...emptyRun(), id: record.id, phase: PHASE_OF[record.status], totalSteps: record.totalSteps,
          steps: record.steps, epochs: record.epochs, mapping: record.mapping, elapsed: record.seconds, error: record.error, backend: record.backend } });
      }
    },
    /** Deletes a saved run at once (IndexedDB too) and holds what it was — record, tensors, checkpoint — in memory
     * until the next delete, so undoDelete can bring it back whole. */
    async deleteRun(id: string): Promise<void> {
      if (d.isLive(id) && isActive(get().run.phase)) { set({ notice: 'this run is training: stop it before deleting it' }); return; }
      const record = get().runs.find((r) => r.id === id);
      const [tensors, checkpoint] = await Promise.all([d.repo.tensors(id).catch(() => undefined), d.repo.checkpoint(id).catch(() => undefined)]);
      await d.repo.remove(id);
      held = record && { record, tensors, checkpoint, viewed: get().view?.record.id === id ? get().view : undefined };
      set({ compare: get().compare.filter((c) => c !== id), view: get().view?.record.id === id ? undefined : get().view, deleted: record && { id, name: record.name } });
      await refreshRuns();
    },
    /** Brings the last deleted run back as it was. */
    async undoDelete(): Promise<void> {
      const h = held;
      if (!h) return;
      held = undefined;
      if (h.tensors) await d.repo.saveTensors(h.record.id, h.tensors);
      if (h.checkpoint) await d.repo.saveCheckpoint(h.record.id, h.checkpoint);
      await d.repo.save(h.record);
      set({ deleted: undefined, ...(h.viewed && !get().view ? { view: h.viewed } : {}) });
      await refreshRuns();
    },
    /** Forgets the last deleted run (it can no longer be brought back). */
    dismissDeleted(): void { held = undefined; set({ deleted: undefined }); },
    toggleCompare(id: string): void {
      const c = get().compare;
      set({ compare: c.includes(id) ? c.filter((x) => x !== id) : [...c, id] });
    },
    /** The settings and tensors to continue a saved run (same backbone required). */
    async continuation(id: string) {
      const record = get().runs.find((r) => r.id === id);
      if (!record) throw new Error('no such run');
      await d.ensureBackbone(record);
      const params = await d.repo.tensors(id);
      if (!params) throw new Error('this run has no saved tensors');
      const init = { ...params };
      if (record.mapping) init.mapping = { dtype: 'int32', shape: [record.mapping.length], data: Int32Array.from(record.mapping) };
      set({ cfg: { ...record.cfg } });
      return init;
    },

    exportPrompt(): FileOut {
      const v = viewed();
      return { name: 'prompt.safetensors', bytes: promptSafetensors(v.params, v.record.mapping, v.record), mime: 'application/octet-stream' };
    },
    exportManifest(): FileOut {
      const m = buildManifest(viewed().record, d.versions());
      return { name: 'manifest.json', bytes: new TextEncoder().encode(JSON.stringify(m, null, 2) + '\n'), mime: 'application/json' };
    },
    /** The viewed run's last end-of-epoch checkpoint in the CLI's --resume layout (tensors, optimiser state, rng,
     * settings as train flags, classes, backbone identity, data counts): `vp-studio train --resume DIR` or
     * `python -m vp_studio.train --resume DIR` continues it, given --model/--data where those are on that machine. */
    async exportCheckpoint(): Promise<FileOut> {
      const r = viewed().record;
      const cp = await d.repo.checkpoint(r.id);
      if (!cp) throw new Error(r.imported ? 'this run was imported without its checkpoint.safetensors: it cannot be continued elsewhere from here' : 'this run has no checkpoint: it ended before its first epoch did');
      return { name: 'checkpoint.safetensors', bytes: checkpointFile(r, cp), mime: 'application/octet-stream' };
    },
    async exportModel(): Promise<FileOut> {
      const v = viewed();
      await d.ensureBackbone(v.record);
      const r = await d.client.exportModel(v.record.cfg, v.record.classes.length, v.params, v.record.mapping);
      const alongside = (r.externalData ?? []).map((f) => ({ name: f.path, bytes: new Uint8Array(f.data), mime: 'application/octet-stream' }));
      return { name: 'model.onnx', bytes: new Uint8Array(r.bytes), mime: 'application/octet-stream', ...(alongside.length ? { alongside } : {}) };
    },
  };
}

export type LibraryActions = ReturnType<typeof libraryActions>;
