// The studio store: one zustand/vanilla store (testable in Node) plus its actions, wired to the worker client
// and the run repository. `boot()` starts the backend, lists saved runs, and preloads the first bundled starter
// backbone and the demo dataset so a first visit can train with one click.
import { createStore, type StoreApi } from 'zustand/vanilla';
import type { TrainConfig } from '../engine/config.ts';
import type { RunRecord, RunsRepo } from '../persist/runs.ts';
import type { WorkerClient } from '../worker/client.ts';
import type { BackendChoice, WireTensor } from '../worker/protocol.ts';
import type { Fault } from '../worker/fault.ts';
import { importActions } from './imports.ts';
import { catalogEntryOf } from './catalog.ts';
import { comparisonActions } from './comparison.ts';
import { libraryActions } from './library.ts';
import { PRESETS } from './presets.ts';
import { sourceActions, type Fetcher } from './sources.ts';
import type { SettingsStore } from '../persist/settings.ts';
import { limitsMemory } from './training.ts';
import { memoryKey, trainImages } from './limits.ts';
import { otherDataProblem } from '../engine/checkpoint-file.ts';
import { initialState, isActive, type StudioState } from './state.ts';
import { trainingActions } from './training.ts';

export interface StudioDeps { client: WorkerClient; repo: RunsRepo; fetch: Fetcher; now?: () => number; versions?: Record<string, string>; verboseRuntime?: boolean; threads?: number; ortBuild?: 'plain' | 'jspi' | 'asyncify'; capture?: 'on' | 'off' | 'buffers'; settings?: SettingsStore;
  /** Tests only: the worker's runs fail on purpose (worker/fault.ts). */
  fault?: Fault }

/** The engine's configuration errors name CLI flags; the studio names its fields. */
const FIELD_OF_FLAG: [RegExp, string][] = [[/--pad-width/g, '"pad width p"'], [/--batch-size/g, '"batch size"'], [/--epochs/g, '"epochs"'],
  [/--lr\b/g, '"learning rate"'], [/--micro-batch/g, '"micro-batch"'], [/--rank/g, '"rank r"'], [/--tokens/g, '"prompt tokens"'],
  [/--mapping-freq/g, '"mapping every (epochs)"'], [/--mean and --std/g, 'the normalisation mean and std']];
export const studioWords = (msg: string): string => FIELD_OF_FLAG.reduce((m, [re, word]) => m.replace(re, word), msg);

export function createStudio(deps: StudioDeps) {
  const store: StoreApi<StudioState> = createStore<StudioState>()(() => initialState());
  const set = store.setState, get = store.getState;
  const now = deps.now ?? (() => Date.now());
  let planTicket = 0;
  let pendingInit: Record<string, WireTensor> | undefined;

  // the memory plan (GPU budget, or the wasm heap's cap) compiles the step (seconds on a large backbone): once the
  // settings rest for a moment
  // (pressing Train waits for the plan of the settings it shows, memoryPlanKey; a plan that cannot fit disables it)
  let memoryTimer: ReturnType<typeof setTimeout> | undefined, memoryTicket = 0, memoryWork: Promise<void> = Promise.resolve();
  const measureMemory = (): Promise<void> => {
    memoryTimer = undefined;
    const st = get(), ticket = ++memoryTicket, key = memoryKey(st);
    if (isActive(st.run.phase)) return Promise.resolve();
    return (memoryWork = deps.client.memoryPlan(st.cfg, st.data.summary?.classes.length ?? 2, st.gpuBudgetMiB)
      .then((r) => { if (ticket === memoryTicket) set({ memoryPlanKey: key, memoryPlan: r.plan && (r.plan.error ? { ...r.plan, error: studioWords(r.plan.error) } : r.plan) }); })
      .catch(() => { if (ticket === memoryTicket) set({ memoryPlanKey: key, memoryPlan: undefined }); }));
  };
  function refreshMemoryPlan(): void {
    if (memoryTimer !== undefined) clearTimeout(memoryTimer);
    memoryTimer = undefined;
    const s = get();
    if (!limitsMemory(s)) { if (s.memoryPlan || s.memoryPlanKey !== memoryKey(s)) set({ memoryPlan: undefined, memoryPlanKey: memoryKey(s) }); return; }
    memoryTimer = setTimeout(() => void measureMemory(), 600);
  }
  /** The memory plan of the current settings, at once if it waits for its timer (Train, resume, compare). */
  async function settleMemoryPlan(): Promise<void> {
    if (get().memoryPlanKey === memoryKey(get())) return;
    if (memoryTimer !== undefined) { clearTimeout(memoryTimer); await measureMemory(); } else await memoryWork;
    if (get().memoryPlanKey !== memoryKey(get())) await measureMemory();
  }
  // settings changed while a run held the worker (a continued run's form) get their plan once it ends
  store.subscribe((st, prev) => { if (isActive(prev.run.phase) && !isActive(st.run.phase) && st.memoryPlanKey !== memoryKey(st)) refreshMemoryPlan(); });

  async function refreshPlan(): Promise<void> {
    refreshMemoryPlan();
    const s = get();
    if (s.backbone.status !== 'ready') { set({ plan: undefined }); return; }
    const ticket = ++planTicket;
    const numClasses = s.data.summary?.classes.length ?? 2;
    try {
      const r = await deps.client.plan(s.cfg, numClasses);
      if (ticket === planTicket) set({ plan: r.plan.error ? { ...r.plan, error: studioWords(r.plan.error) } : r.plan });
    } catch (e) {
      if (ticket === planTicket) set({ plan: { shapes: {}, trainable: 0, error: studioWords(e instanceof Error ? e.message : String(e)) } });
    }
  }

  const sources = sourceActions(store, { client: deps.client, repo: deps.repo, fetch: deps.fetch, refreshPlan });
  const ensureBackbone = async (r: RunRecord) => {
    if (r.backbone.sha256 === get().backbone.sha256) return;
    const cached = await deps.repo.backbone(r.backbone.sha256).catch(() => undefined);
    if (cached) await sources.loadBackboneFile(cached.name, cached.bytes, cached.externalData);
    else {
      const entry = catalogEntryOf(get().catalog, r.backbone) ?? get().catalog.find((c) => c.url.split('/').pop() === r.backbone.name);
      if (entry) await sources.loadCatalogEntry(entry);
    }
    if (r.backbone.sha256 !== get().backbone.sha256) throw new Error(`load the backbone ${r.backbone.name} first (this run was trained on it)`);
  };
  const library = libraryActions(store, {
    client: deps.client, repo: deps.repo, ensureBackbone,
    versions: () => ({ 'vp-studio': deps.versions?.['vp-studio'] ?? '?', onnxruntime: get().backend.runtime, ...(deps.versions ?? {}) }),
    isLive: (id) => get().run.id === id,
  });
  const imports = importActions(store, { client: deps.client, repo: deps.repo, now, refreshRuns: library.refreshRuns, ensureBackbone });
  const training = trainingActions(store, { client: deps.client, repo: deps.repo, now, refreshRuns: library.refreshRuns });
  const comparison = comparisonActions(store, {
    repo: deps.repo, refreshRuns: library.refreshRuns, start: () => training.start(), stop: () => training.stop(),
    setCfg: (patch) => actions.setCfg(patch), settle: async () => { await refreshPlan(); await settleMemoryPlan(); },
  });

  const actions = {
    ...sources, ...library, ...training, ...imports, ...comparison,
    refreshPlan,
    settleMemoryPlan,
    /** A settings field's problem (undefined: fixed). */
    setFieldError(field: string, problem: string | undefined): void {
      const { [field]: _old, ...rest } = get().fieldErrors;
      if (problem === _old) return;
      set({ fieldErrors: problem ? { ...rest, [field]: problem } : rest });
    },
    async setBackend(choice: BackendChoice): Promise<void> {
      set({ backend: { ...get().backend, status: 'starting', choice, label: 'starting…' } });
      try {
        const r = await deps.client.init(choice, { verbose: deps.verboseRuntime ?? false, threads: deps.threads, build: deps.ortBuild, capture: deps.capture, ...(deps.fault ? { fault: deps.fault } : {}) });
        set({ backend: { status: 'ready', choice, label: r.backend, ep: r.ep, runtime: r.runtime, isolated: r.crossOriginIsolated, threads: r.threads, limits: r.limits } });
        refreshMemoryPlan();
      } catch (e) {
        set({ backend: { ...get().backend, status: 'error', label: `no backend: ${e instanceof Error ? e.message : String(e)}` } });
      }
    },
    setGpuBudget(mib: number): void { set({ gpuBudgetMiB: mib }); refreshMemoryPlan(); },
    setCfg(patch: Partial<TrainConfig>): void {
      set({ cfg: { ...get().cfg, ...patch } });
      void refreshPlan();
    },
    applyPreset(id: string): void {
      const p = PRESETS.find((x) => x.id === id);
      const s = get();
      if (!p) return;
      const L = s.backbone.info?.inputSize ?? 224;
      const n = s.data.summary ? s.data.summary.counts.train.reduce((a, b) => a + b, 0) : 0;
      const spe = Math.max(1, Math.ceil((s.data.summary?.layout === 'folders' ? n * (1 - s.cfg.valFraction) : n) / s.cfg.batchSize));
      actions.setCfg(p.apply(s.cfg, L, spe));
    },
    /** Prepares to train a saved run further: its settings fill the form (said, not silent) and the next Train
     * starts from its tensors as a new run named after it. */
    async continueRun(id: string): Promise<void> {
      try {
        pendingInit = await library.continuation(id);
        const r = get().runs.find((x) => x.id === id)!;
        set({ continuing: { id, name: r.name }, notice: `the form now holds the settings of "${r.name}": press Train to continue it from its tensors (change epochs or the learning rate first if you like)` });
        await refreshPlan();
      } catch (e) {
        set({ notice: e instanceof Error ? e.message : String(e) });
      }
    },
    cancelContinue(): void { pendingInit = undefined; set({ continuing: undefined }); },
    /** Train: a fresh run, or the continuation prepared by continueRun. */
    async start(): Promise<string | undefined> {
      const c = get().continuing, init = pendingInit;
      await settleMemoryPlan();
      const id = await training.start(c ? init : undefined, c);
      if (id && c) { pendingInit = undefined; set({ continuing: undefined }); }
      return id;
    },
    /** Resumes an interrupted (or stopped) run from its last checkpoint, on its backbone and the same classes. */
    async resumeRun(id: string): Promise<void> {
      try {
        const record = get().runs.find((r) => r.id === id);
        if (!record) throw new Error('no such run');
        const cp = await deps.repo.checkpoint(id);
        if (!cp) throw new Error('this run has no checkpoint yet (it ended before its first epoch did)');
        if (cp.epoch >= record.cfg.epochs) throw new Error('this run already completed all its epochs');
        await ensureBackbone(record);
        const classes = get().data.summary?.classes ?? [];
        if (classes.join('\u0000') !== record.classes.join('\u0000')) throw new Error(`load the run's data first (classes ${record.classes.join(', ')})`);
        const summary = get().data.summary;
        if (summary && record.data.train > 0) {  // the same images: other counts would make another split, batches and schedule
          const train = trainImages(summary, record.cfg.valFraction), all = [...summary.counts.train, ...summary.counts.val].reduce((x, n) => x + n, 0);
          const other = otherDataProblem({ data: { train: record.data.train, val: record.data.val } }, classes, train, all - train);
          if (other) throw new Error(other);
        }
        set({ cfg: { ...record.cfg } });
        await refreshPlan();
        await settleMemoryPlan();
        await training.resumeFrom(record, cp);
      } catch (e) {
        set({ notice: `cannot resume: ${e instanceof Error ? e.message : String(e)}` });
      }
    },
    dismissNotice(): void { set({ notice: undefined }); },
    /** Backend, saved runs, then the first bundled starter and the demo data (unless the user chose already). */
    async boot(opts: { backend?: BackendChoice; preload?: boolean } = {}): Promise<void> {
      const backend = actions.setBackend(opts.backend ?? 'auto');
      await Promise.all([library.refreshRuns(), sources.loadCatalog()]);
      await backend;
      if (opts.preload === false) return;
      // what the last visit chose, else the bundled starter and the demo
      const saved = deps.settings?.load();
      const entry = saved?.backbone && catalogEntryOf(get().catalog, saved.backbone);
      const cached = saved?.backbone && !entry ? await deps.repo.backbone(saved.backbone.sha256).catch(() => undefined) : undefined;
      const starter = get().catalog.find((c) => c.bundled);
      const folder = saved?.data?.kind === 'folder' ? saved.data.name : undefined;
      const pickBackbone = get().backbone.status !== 'none' ? undefined
        : entry ? sources.loadCatalogEntry(entry) : cached ? sources.loadBackboneFile(cached.name, cached.bytes, cached.externalData) : starter ? sources.loadCatalogEntry(starter) : undefined;
      await Promise.all([pickBackbone, get().data.status === 'none' && !folder ? sources.loadDemo() : undefined]);
      if (saved?.backbone?.inputSize && get().backbone.info && !get().backbone.info!.inputSizeFixed) await sources.setInputSize(saved.backbone.inputSize);
      if (saved) actions.setCfg({ ...get().cfg, ...saved.cfg });
      if (saved?.gpuBudgetMiB) set({ gpuBudgetMiB: saved.gpuBudgetMiB });
      if (folder) set({ notice: `choose the folder "${folder}" again: browsers do not keep dropped files across a reload (your settings are back)` });
      await sources.restoreWebcam();
      persistSettings();
    },
  };
  /** Saves the form and the choices whenever they change (after boot restored them). */
  let persisting = false;
  function persistSettings(): void {
    if (persisting || !deps.settings) return;
    persisting = true;
    const snapshot = (st: StudioState) => ({
      version: 1 as const, cfg: st.cfg, gpuBudgetMiB: st.gpuBudgetMiB,
      ...(st.backbone.status === 'ready' ? { backbone: { name: st.backbone.name, sha256: st.backbone.sha256, url: st.backbone.url, inputSize: st.backbone.info?.inputSize } } : {}),
      ...(st.data.status === 'ready' ? { data: st.data.fromDemo ? { kind: 'demo' as const } : { kind: 'folder' as const, name: st.data.name } } : {}),
    });
    let last = '';
    store.subscribe((st) => {
      const s = snapshot(st), key = JSON.stringify(s);
      if (key !== last) { last = key; deps.settings!.save(s); }
    });
  }
  return { store, actions };
}

export type Studio = ReturnType<typeof createStudio>;
export type StudioActions = Studio['actions'];
