// Store actions for a training run: start (fresh or continuing from saved tensors), pause, resume, stop, and
// the reducer of the worker's run events (steps, epochs, mapping, state, done, error). The run's record is
// saved to IndexedDB when it starts, after every epoch (and at most every few seconds of steps) and when it ends.
import type { StoreApi } from 'zustand/vanilla';
import type { RunRecord, RunsRepo, StepPoint } from '../persist/runs.ts';
import type { WorkerClient } from '../worker/client.ts';
import type { Response, WireCheckpoint, WireTensor } from '../worker/protocol.ts';
import type { EpochMetrics } from '../engine/trainer.ts';
import { settingProblems } from './limits.ts';
import { emptyRun, isActive, shortBackendLabel, type RunState, type StudioState } from './state.ts';

export interface TrainingDeps { client: WorkerClient; repo: RunsRepo; now: () => number; refreshRuns: () => Promise<void> }

const SAVE_EVERY_MS = 5000;
const FLUSH_MS = 200;
const newId = (now: number) => `run-${now.toString(36)}-${Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0')}`;

/** Why a run cannot start now, or undefined. */
export function cannotStart(s: StudioState): string | undefined {
  if (s.backend.status !== 'ready') return 'the compute backend is still starting';
  if (s.backbone.status !== 'ready') return 'choose a backbone';
  if (s.data.status !== 'ready') return 'load a dataset';
  if (isActive(s.run.phase)) return 'a run is in progress';
  const bad = Object.entries(s.fieldErrors)[0] ?? Object.entries(settingProblems(s))[0];
  if (bad) return `fix "${bad[0]}": ${bad[1]}`;
  if (!s.plan) return 'checking the settings…';
  if (s.plan.error) return s.plan.error;
  return undefined;
}

/** Whether a step's memory is limited here (a GPU budget, or the wasm heap's cap): Train (the studio's start)
 * waits for the plan of the current settings before it starts a run, and a plan that cannot fit disables it. */
export const limitsMemory = (s: StudioState): boolean => (s.backend.ep === 'webgpu' || s.backend.ep === 'wasm') && s.backbone.status === 'ready';

export function trainingActions(store: StoreApi<StudioState>, d: TrainingDeps) {
  const set = store.setState, get = store.getState;
  let record: RunRecord | undefined;
  let checkpoint: WireCheckpoint | undefined;
  let lastSave = 0;
  /** Writes the record (and the latest checkpoint) at most every SAVE_EVERY_MS unless forced. Every write of a run
   * joins `writes`, in order: a save queued while 'running' (at Pause, at Stop) must not land after the run's end. */
  let writes: Promise<unknown> = Promise.resolve();
  /** Seconds a resumed run had already trained: its clock continues from there. */
  let offset = 0;
  const save = async (force: boolean) => {
    if (!record) return;
    const now = d.now();
    if (!force && now - lastSave < SAVE_EVERY_MS) return;
    lastSave = now;
    const r = get().run;
    record = { ...record, steps: r.steps, epochs: r.epochs, mapping: r.mapping, seconds: r.elapsed };
    const cp = checkpoint;
    checkpoint = undefined;
    const rec = record;
    const w = writes = writes.then(async () => {
      if (cp) await d.repo.saveCheckpoint(rec.id, cp).catch(() => undefined);
      await d.repo.save(rec).catch(() => undefined);
    });
    await w;
  };

  // Run events update a draft that reaches the store at most every FLUSH_MS (a tiny model on wasm runs
  // thousands of steps a second: re-rendering the charts per event would stall the page); the phase changes
  // that users act on (started, paused, done, error) flush at once.
  let draft: { steps: StepPoint[]; epochs: EpochMetrics[]; patch: Partial<RunState> } = { steps: [], epochs: [], patch: {} };
  let timer: ReturnType<typeof setTimeout> | undefined;
  const flush = () => {
    if (timer !== undefined) { clearTimeout(timer); timer = undefined; }
    const run = get().run;
    const { steps, epochs, patch } = draft;
    if (!steps.length && !epochs.length && !Object.keys(patch).length) return;
    draft = { steps: [], epochs: [], patch: {} };
    const all = steps.length ? [...run.steps, ...steps] : run.steps;
    set({ run: { ...run, ...patch, steps: all, epochs: epochs.length ? [...run.epochs, ...epochs] : run.epochs } });
    void save(false);
  };
  const later = () => { timer ??= setTimeout(flush, FLUSH_MS); };

  function onMessage(m: Response): void {
    if (!('runId' in m) && m.type !== 'done') return;
    const runId = m.type === 'done' ? m.result.runId : m.runId;
    if (!runId || runId !== get().run.id) return;
    switch (m.type) {
      case 'started':
        draft.patch = { ...draft.patch, phase: 'compiling', totalSteps: m.totalSteps, valCount: m.valCount, backend: shortBackendLabel(m.backend), startedAt: d.now() - 1000 * (get().run.elapsed || 0) };
        flush();
        if (m.note) set({ notice: m.note });
        if (record) record = { ...record, totalSteps: m.totalSteps, backend: shortBackendLabel(m.backend), data: { ...record.data, train: m.trainCount, val: m.valCount } };
        void save(true);
        return;
      case 'step':
        if (!get().run.firstStep && !draft.patch.firstStep) draft.patch = { ...draft.patch, firstStep: { at: d.now(), step: m.metrics.step } };
        draft.steps.push({ step: m.metrics.step, epoch: m.metrics.epoch, loss: m.metrics.loss, lr: m.metrics.lr, ips: m.imagesPerS, t: offset + m.elapsed });
        draft.patch = { ...draft.patch, totalSteps: m.metrics.totalSteps, elapsed: offset + m.elapsed };
        later();
        return;
      case 'epoch': {
        // an epoch of one step has no step-to-step timing: its images/s comes from the epoch
        const last = draft.steps[draft.steps.length - 1];
        if (last && !(last.ips > 0)) last.ips = m.metrics.images_per_s;
        draft.epochs.push(m.metrics);
        later();
        return;
      }
      case 'capture':
        draft.patch = { ...draft.patch, capture: { on: m.on, detail: m.detail } };
        flush();
        if (!m.on) set({ notice: m.detail });
        return;
      case 'mapping':
        draft.patch = { ...draft.patch, mapping: m.mapping };
        later();
        return;
      case 'checkpoint':
        checkpoint = m.checkpoint;
        later();
        return;
      case 'state':
        flush();
        if (m.state === 'paused' || m.state === 'stopping') void save(true);
        if (get().run.phase !== 'stopping' || m.state === 'evaluating') set({ run: { ...get().run, phase: m.state === 'running' ? 'running' : m.state } });
        return;
      case 'done': {
        flush();
        const cp = checkpoint;
        checkpoint = undefined;
        if (cp && record) { const id = record.id; writes = writes.then(() => d.repo.saveCheckpoint(id, cp)).catch(() => undefined); }
        const res = m.result;
        const status = res.diverged ? 'diverged' : res.stopped ? 'stopped' : 'done';
        const seconds = offset + res.seconds;
        // 'saving' comes with the end itself: whoever waits for the run's end can wait for its record too
        const saving = !!record && !(res.stopped && res.epochs.length === 0);
        set({ run: { ...get().run, phase: status, result: res, epochs: res.epochs, mapping: res.mapping, elapsed: seconds, saving, ...(res.diverged ? { error: res.diverged } : {}) } });
        if (record && res.stopped && res.epochs.length === 0) {
          // stopped before an epoch completed (e.g. while compiling): nothing to keep nor to resume (a partial epoch
          // is never recorded: a resume repeats it)
          const id = record.id;
          record = undefined;
          // after the writes already queued (the record saved when it started and when it was stopped)
          void (writes = writes.then(() => d.repo.remove(id)).catch(() => undefined)).then(d.refreshRuns);
          set({ run: { ...get().run, phase: 'stopped', error: undefined } });
        } else if (record) {
          record = { ...record, status, ...(res.diverged ? { error: res.diverged } : {}), steps: get().run.steps, epochs: res.epochs, mapping: res.mapping, evaluation: res.evaluation, samples: res.samples.slice(0, 2), seconds, backend: shortBackendLabel(res.backend), data: { ...record.data, skipped: res.skipped } };
          const rec = record, id = get().run.id;
          set({ view: { record: rec, params: res.params } });
          // after the writes already queued (the record saved 'running' when it was paused or stopped)
          const w = writes = writes.then(async () => {
            await d.repo.saveTensors(rec.id, res.params).catch(() => undefined);
            await d.repo.save(rec).catch(() => undefined);
          });
          void w.then(async () => {
            await d.refreshRuns();
            if (get().run.id === id) set({ run: { ...get().run, saving: false } });
          });
        }
        return;
      }
      case 'error':
        flush();
        set({ run: { ...get().run, phase: 'error', error: m.message, errorDetail: m.detail } });
        if (record) { record = { ...record, status: 'error', error: m.message }; void save(true).then(d.refreshRuns); }
        return;
    }
  }
  d.client.on(onMessage);

  return {
    /** Starts a run with the current settings; `init` continues from saved tensors. Returns the run id. */
    async start(init?: Record<string, WireTensor>, parent?: { id: string; name: string }): Promise<string | undefined> {
      const s = get();
      const why = cannotStart(s);
      if (why) { set({ notice: why }); return undefined; }
      offset = 0;
      const info = s.backbone.info!, summary = s.data.summary!;
      const now = d.now();
      const id = newId(now);
      record = {
        id, name: parent ? `${parent.name} (continued)` : `${s.cfg.method} + ${s.cfg.head} · ${s.backbone.name} · ${s.data.name}`, ...(parent ? { parent: parent.id } : {}), created: new Date(now).toISOString(), status: 'running',
        cfg: { ...s.cfg }, classes: summary.classes, backbone: { name: s.backbone.name, sha256: s.backbone.sha256, info, url: s.backbone.url },
        data: { name: s.data.name, train: 0, val: 0, skipped: summary.skipped }, trainable: s.plan!.trainable, backend: shortBackendLabel(s.backend.label),
        totalSteps: 0, steps: [], epochs: [], seconds: 0,
      };
      lastSave = 0;
      draft = { steps: [], epochs: [], patch: {} };
      checkpoint = undefined;
      set({ run: { ...emptyRun(), id, phase: 'starting', backend: shortBackendLabel(s.backend.label) }, notice: undefined });
      await d.repo.save(record).catch(() => undefined);
      void d.refreshRuns();
      d.client.train(id, record.cfg, init, undefined, get().gpuBudgetMiB);
      return id;
    },
    /** Continues a saved run from its last end-of-epoch checkpoint (same settings, same run). */
    async resumeFrom(saved: RunRecord, cp: WireCheckpoint): Promise<boolean> {
      const why = cannotStart(get());
      if (why) { set({ notice: why }); return false; }
      record = { ...saved, status: 'running', error: undefined };
      offset = saved.steps.filter((p) => p.step < cp.step).at(-1)?.t ?? saved.seconds ?? 0;
      lastSave = 0;
      draft = { steps: [], epochs: [], patch: {} };
      checkpoint = undefined;
      const steps = saved.steps.filter((p) => p.step < cp.step);
      set({ run: { ...emptyRun(), id: saved.id, phase: 'starting', backend: shortBackendLabel(get().backend.label), steps, epochs: cp.epochs, totalSteps: saved.totalSteps, mapping: cp.mapping, elapsed: offset, startedAt: d.now() - 1000 * offset }, notice: undefined });
      await d.repo.save(record).catch(() => undefined);
      void d.refreshRuns();
      d.client.train(saved.id, saved.cfg, undefined, cp, get().gpuBudgetMiB);
      return true;
    },
    pause(): void { if (get().run.phase === 'running') d.client.pause(); },
    resume(): void { if (get().run.phase === 'paused') d.client.resume(); },
    stop(): void {
      const p = get().run.phase;
      if (p === 'running' || p === 'paused' || p === 'starting' || p === 'compiling') { d.client.stop(); set({ run: { ...get().run, phase: 'stopping' } }); }
    },
  };
}

export type TrainingActions = ReturnType<typeof trainingActions>;
