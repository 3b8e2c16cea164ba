// "Compare methods" in the store: the plan for the loaded backbone and data (compare-plan.ts: what the panel shows
// before anything runs), and the action that trains it — every method in turn at its own settings through the
// form (so the Method panel shows what each run uses), waiting for each run's end, then the form as it was, the
// curves overlaid, and each run's trained tensors loaded for the prompts side by side. Stop ends the queue.
import type { StoreApi } from 'zustand/vanilla';
import type { TrainConfig } from '../engine/config.ts';
import type { RunsRepo } from '../persist/runs.ts';
import { catalogEntryOf } from './catalog.ts';
import { compareEntries, type CompareEntry } from './compare-plan.ts';
import type { StudioState } from './state.ts';

export interface ComparisonDeps {
  repo: RunsRepo;
  setCfg: (c: Partial<TrainConfig>) => void;
  /** The parameter and memory plans of the settings now in the form (a run starts once they are in). */
  settle: () => Promise<void>;
  start: () => Promise<string | undefined>;
  stop: () => void;
  refreshRuns: () => Promise<void>;
}

const ENDED = ['done', 'stopped', 'diverged', 'error'];

/** Images one epoch trains on: the training split, or the folders less the held-out fraction. */
export function trainImagesOf(s: Pick<StudioState, 'data' | 'cfg'>): number {
  const sum = s.data.summary?.counts.train.reduce((a, b) => a + b, 0) ?? 0;
  return s.data.summary?.layout === 'folders' ? Math.round(sum * (1 - s.cfg.valFraction)) : sum;
}

/** The comparison the loaded backbone and data would run now (undefined until both are ready). */
export function plannedComparison(s: Pick<StudioState, 'cfg' | 'backbone' | 'data' | 'catalog' | 'compareEpochs'>): CompareEntry[] | undefined {
  const info = s.backbone.info;
  if (s.backbone.status !== 'ready' || !info || s.data.status !== 'ready') return undefined;
  const rec = catalogEntryOf(s.catalog, s.backbone)?.recommended;
  return compareEntries({ base: s.cfg, family: info.family, inputSize: info.inputSize, trainImages: trainImagesOf(s), epochs: s.compareEpochs, recommended: rec });
}

export function comparisonActions(store: StoreApi<StudioState>, d: ComparisonDeps) {
  const set = store.setState, get = store.getState;
  const update = (patch: Partial<NonNullable<StudioState['comparison']>>) => { const c = get().comparison; if (c) set({ comparison: { ...c, ...patch } }); };
  const ended = (id: string) => new Promise<void>((resolve) => {
    // ended and written (its record and tensors: the comparison reads them back)
    const done = (st: StudioState) => st.run.id === id && ENDED.includes(st.run.phase) && !st.run.saving;
    if (done(get())) { resolve(); return; }
    const off = store.subscribe((st) => { if (done(st)) { off(); resolve(); } });
  });
  let cancelled = false;
  return {
    /** Ends the comparison: the run in progress stops and no further method starts. */
    stopComparison(): void { cancelled = true; d.stop(); },
    /** The number of epochs every method trains in a comparison (the same image budget for all). */
    setCompareEpochs(n: number): void { set({ compareEpochs: n }); },
    /** Trains every planned method in turn; returns the run ids (in the plan's order; fewer when stopped). */
    async compareMethods(): Promise<string[]> {
      const entries = plannedComparison(get());
      if (!entries) { set({ notice: 'choose a backbone and load data first' }); return []; }
      const form = { ...get().cfg }, ids: string[] = [];
      cancelled = false;
      set({ comparison: { entries, ids: [], done: 0, running: true, params: {} } });
      try {
        for (const e of entries) {
          if (cancelled) break;
          d.setCfg(e.cfg);
          await d.settle();
          const id = await d.start();
          if (!id) break;
          ids.push(id);
          update({ ids: [...ids] });
          await ended(id);
          update({ done: ids.length });
          if (cancelled || get().run.phase === 'stopped') break;
        }
      } finally {
        d.setCfg(form);
        await d.refreshRuns();
        update({ running: false });
        set({ compare: ids });
      }
      const params: Record<string, Awaited<ReturnType<RunsRepo['tensors']>>> = {};
      for (const id of ids) params[id] = await d.repo.tensors(id).catch(() => undefined);
      update({ params: Object.fromEntries(Object.entries(params).filter((kv): kv is [string, NonNullable<typeof kv[1]>] => kv[1] !== undefined)) });
      return ids;
    },
  };
}
