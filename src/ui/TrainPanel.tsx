// Training: start / pause / resume / stop, progress bar with ETA, run status, the latest validation accuracy,
// and the live charts. Training runs in the worker, so this panel only renders what the store receives.
import { useEffect, useRef, useState } from 'react';
import { useActions, useAnnouncement, useStudio } from '../store/hooks.ts';
import { isActive } from '../store/state.ts';
import { etaSeconds } from '../store/eta.ts';
import { cannotStart } from '../store/training.ts';
import { TrainingCharts } from './Charts.tsx';
import { fmtDuration, fmtNum, fmtPct } from './format.ts';
import { Panel } from './widgets.tsx';

/**
 * Keeps keyboard focus on a visible control while the run changes state: when the focused button is disabled
 * (Train once pressed, Stop once stopping, the end of a run) focus moves to the control in the same place (Pause → Resume), else the first enabled of
 * Stop, Pause/Resume and Train (by data-focus-order), or waits on the status badge until one is enabled again.
 */
function useKeepFocus(controls: React.RefObject<HTMLDivElement | null>, park: React.RefObject<HTMLElement | null>, deps: unknown[]): void {
  const last = useRef<HTMLElement | null>(null);
  useEffect(() => {
    const box = controls.current;
    if (!box) return;
    const remember = (e: FocusEvent) => { last.current = e.target instanceof HTMLElement ? e.target : null; };
    box.addEventListener('focusin', remember);
    return () => box.removeEventListener('focusin', remember);
  }, [controls]);
  useEffect(() => {
    const box = controls.current, was = last.current, now = document.activeElement;
    if (!box || !was) return;
    const wasDisabled = was instanceof HTMLButtonElement && was.disabled;
    const lost = !now || now === document.body || (now instanceof HTMLButtonElement && now.disabled) || !now.isConnected;
    const parked = now === park.current;
    if (!((lost && (wasDisabled || !was.isConnected)) || parked)) return;
    const buttons = [...box.querySelectorAll<HTMLButtonElement>('button[data-focus-order]')].filter((b) => !b.disabled)
      .sort((x, y) => Number(x.dataset.focusOrder) - Number(y.dataset.focusOrder));
    // the same place first (Pause became Resume), else the first enabled, else the badge
    const target = buttons.find((b) => b.dataset.focusOrder === was.dataset.focusOrder) ?? buttons[0] ?? park.current;
    if (target && target !== now) target.focus({ focusVisible: true } as FocusOptions);
  }, deps);
}

export function TrainPanel() {
  const run = useStudio((s) => s.run);
  const why = useStudio(cannotStart);
  const continuing = useStudio((s) => s.continuing);
  const comparing = useStudio((s) => (s.comparison?.running ? s.comparison : undefined));
  const a = useActions();
  const done = run.steps.length ? run.steps[run.steps.length - 1].step + 1 : 0;
  const total = run.totalSteps;
  // the clock ticks every second while a run is active, whatever the backend's step rate
  const [, setTick] = useState(0);
  const now = Date.now();
  const ticking = isActive(run.phase);
  useEffect(() => {
    if (!ticking) return;
    const id = setInterval(() => setTick((k) => k + 1), 1000);
    return () => clearInterval(id);
  }, [ticking]);
  const elapsed = ticking && run.startedAt !== undefined ? Math.max(run.elapsed, (now - run.startedAt) / 1000) : run.elapsed;
  // the ETA: the steps' own pace (compiling is not a step) from the first step shown, and the validation passes left
  const cfg = useStudio((s) => s.cfg);
  const eta = run.firstStep && run.phase === 'running'
    ? etaSeconds({ now, firstStep: run.firstStep, steps: run.steps, totalSteps: total, epochs: cfg.epochs, epochsDone: run.epochs.length, batchSize: cfg.batchSize, valCount: run.valCount ?? 0 })
    : undefined;
  const lastVal = [...run.epochs].reverse().find((e) => e.val_acc !== null)?.val_acc ?? null;
  const last = run.steps[run.steps.length - 1];
  const active = isActive(run.phase);
  const said = useAnnouncement();
  const controls = useRef<HTMLDivElement>(null), status = useRef<HTMLSpanElement>(null);
  useKeepFocus(controls, status, [run.phase, why]);
  return (
    <Panel title="4 · Train">
      <div className="sr-only" role="status" aria-live="polite" data-testid="announce"><span key={said.n}>{said.text}</span></div>
      <div className="controls" ref={controls}>
        <button className="primary" data-testid="train-start" data-focus-order="2" disabled={!!why} title={why} onClick={() => void a.start()}>Train</button>
        {run.phase === 'paused'
          ? <button data-testid="train-resume" data-focus-order="1" onClick={() => a.resume()}>Resume</button>
          : <button data-testid="train-pause" data-focus-order="1" disabled={run.phase !== 'running'} onClick={() => a.pause()}>Pause</button>}
        <button data-testid="train-stop" data-focus-order="0" disabled={!active || run.phase === 'stopping' || run.phase === 'evaluating'} onClick={() => a.stop()}>Stop</button>
        <span className={`status ${run.phase}`} data-testid="run-status" tabIndex={-1} ref={status}>{run.phase}</span>
        {run.saving && <span className="muted" data-testid="run-saving">saving…</span>}
        {comparing && <a className="muted" href="#compare">comparing methods: {comparing.done} of {comparing.entries.length} done</a>}
        {why && !active && <span className="muted">{why}</span>}
      </div>
      {continuing && !active && (
        <div className="muted" data-testid="continuing">Train continues <b>{continuing.name}</b> from its tensors{' '}
          <button onClick={() => a.cancelContinue()}>start afresh instead</button></div>
      )}
      <div className="progress">
        <progress data-testid="progress" value={done} max={Math.max(total, 1)} />
        <span data-testid="progress-text">{done}/{total || "–"} steps</span>
        <span data-testid="clock">{run.phase === 'compiling' && 'compiling the training graph… '}{elapsed > 0 && `${fmtDuration(elapsed)} elapsed`}{eta !== undefined && ` · ETA ${fmtDuration(eta)}`}</span>
      </div>
      <div className="metrics">
        <span>epoch <b>{last ? last.epoch + 1 : '–'}</b></span>
        <span>loss <b data-testid="loss">{last ? fmtNum(last.loss) : '–'}</b></span>
        <span>val acc <b data-testid="val-acc" data-value={lastVal ?? ''}>{lastVal === null ? '–' : fmtNum(lastVal)}</b> <span className="muted">{lastVal !== null && fmtPct(lastVal)}</span></span>
        <span>images/s <b data-testid="ips">{last && last.ips > 0 ? fmtNum(last.ips) : '–'}</b></span>
        {run.capture && <span className="muted" data-testid="capture" data-on={run.capture.on ? '1' : '0'} title={run.capture.detail}>{run.capture.on ? 'graph-captured' : 'not captured'}</span>}
      </div>
      {run.error && <div className="error" data-testid="run-error">{run.error}</div>}
      {run.errorDetail && <details className="muted" data-testid="run-error-detail"><summary>details for a bug report</summary><code>{run.errorDetail}</code></details>}
      <TrainingCharts steps={run.steps} epochs={run.epochs} live={ticking} />
    </Panel>
  );
}
