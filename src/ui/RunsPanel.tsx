// Saved runs (IndexedDB): a comparison table (method, parameters, best/final accuracy, time, status), actions
// to open (an unfinished one from its last checkpoint), continue, resume or delete a run (at once, with undo: focus
// moves to Undo, since the row and its button are gone), and overlaid curves of the runs ticked for comparison.
import { useEffect, useRef } from 'react';
import { CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts';
import type { RunRecord } from '../persist/runs.ts';
import { useActions, useStudio } from '../store/hooks.ts';
import { runFigures } from '../store/run-figures.ts';
import { isActive } from '../store/state.ts';
import { fmtDuration, fmtInt, fmtNum, fmtPct, niceAxis } from './format.ts';
import { FilePick, Panel } from './widgets.tsx';

/** Validation accuracy's axis: 0 to 1 in quarters. */
const ACC = niceAxis([], 5, [0, 1]);
const COLORS = ['#1971c2', '#d9480f', '#2f9e44', '#7048e8', '#c2255c', '#0c8599', '#e67700'];

function Overlay(p: { runs: RunRecord[] }) {
  const maxEpochs = Math.max(0, ...p.runs.map((r) => r.epochs.length));
  const data = Array.from({ length: maxEpochs }, (_, e) => Object.fromEntries([['epoch', e + 1], ...p.runs.map((r) => [r.id, r.epochs[e]?.val_acc ?? null])]));
  return (
    <figure className="chart wide" data-testid="runs-overlay">
      <figcaption>validation accuracy per epoch</figcaption>
      <ResponsiveContainer width="100%" height={200}>
        <LineChart data={data} accessibilityLayer={false}>
          <CartesianGrid strokeDasharray="3 3" stroke="#e3e6ea" />
          <XAxis dataKey="epoch" tick={{ fontSize: 11 }} tickFormatter={(v: number) => fmtNum(v)} />
          <YAxis domain={ACC.domain} ticks={ACC.ticks} interval={0} tickFormatter={ACC.label} tick={{ fontSize: 11 }} width={ACC.width} />
          <Tooltip formatter={(v) => fmtPct(Number(v))} labelFormatter={(l) => `epoch ${String(l)}`} />
          <Legend wrapperStyle={{ fontSize: 11 }} />
          {p.runs.map((r, i) => <Line key={r.id} dataKey={r.id} name={r.name} stroke={COLORS[i % COLORS.length]} isAnimationActive={false} connectNulls />)}
        </LineChart>
      </ResponsiveContainer>
    </figure>
  );
}

/** One saved run as a table row; its cells carry their column's name (shown above each value at phone width). */
function RunRow(p: { r: RunRecord; compared: boolean; viewed: boolean; live: boolean }) {
  const { r } = p;
  const a = useActions();
  const fig = runFigures(r);
  const finished = r.status === 'done' || r.status === 'stopped' || r.status === 'diverged';
  const canOpen = finished || ((r.status === 'interrupted' || r.status === 'error') && r.epochs.length > 0);
  return (
    <tr data-testid="run-row" className={p.viewed ? 'sel' : ''}>
      <td data-label="compare"><input type="checkbox" aria-label={`compare ${r.name}`} checked={p.compared} onChange={() => a.toggleCompare(r.id)} /></td>
      <td data-label="run" title={r.created}>{r.name}<div className="muted">{new Date(r.created).toLocaleString()} · {r.backend}</div></td>
      <td data-label="status">{r.status}</td>
      <td data-label="params">{fmtInt(r.trainable)}</td>
      <td data-label="best val">{fmtPct(fig.bestVal)}</td>
      <td data-label="final val">{fmtPct(fig.finalVal)}</td>
      <td data-label="epochs">{fig.epochs}</td>
      <td data-label="time">{fmtDuration(r.seconds)}</td>
      <td data-label="s / epoch">{r.epochs.length ? fmtNum(r.epochs.reduce((t, e) => t + e.seconds, 0) / r.epochs.length) : '–'}</td>
      <td className="actions" data-label="actions">
        <>
          <button data-testid="run-open" disabled={!canOpen} title={canOpen && !finished ? 'view it as it was after its last completed epoch (resume continues it)' : undefined} onClick={() => void a.openRun(r.id)}>open</button>
          <button disabled={r.status !== 'done' && r.status !== 'stopped'} title="train further from this run's tensors" onClick={() => void a.continueRun(r.id)}>continue</button>
          {(r.status === 'interrupted' || r.status === 'stopped' || r.status === 'error') && r.epochs.length > 0 && r.epochs.length < r.cfg.epochs && (
            <button data-testid="run-resume" title="continue from the last completed epoch" onClick={() => void a.resumeRun(r.id)}>resume</button>
          )}
          <button data-testid="run-delete" disabled={p.live} title={p.live ? 'stop the run before deleting it' : 'delete this run and its tensors (undo brings it back)'} onClick={() => void a.deleteRun(r.id)}>delete</button>
        </>
      </td>
    </tr>
  );
}

export function RunsPanel() {
  const runs = useStudio((s) => s.runs);
  const compare = useStudio((s) => s.compare);
  const viewId = useStudio((s) => s.view?.record.id);
  const liveId = useStudio((s) => (isActive(s.run.phase) ? s.run.id : undefined));
  const a = useActions();
  const shown = runs.filter((r) => compare.includes(r.id));
  const deleted = useStudio((s) => s.deleted);
  const undo = useRef<HTMLButtonElement>(null);
  useEffect(() => { if (deleted) undo.current?.focus(); }, [deleted]);
  return (
    <Panel title="Saved runs" aside={
      <span className="muted">{runs.length} in this browser ·{' '}
        <FilePick accept=".safetensors,.json" multiple testId="import-run"
          onFiles={(fl) => void Promise.all(fl.map(async (f) => ({ name: f.name, bytes: new Uint8Array(await f.arrayBuffer()) }))).then((files) => a.importRun(files))}>import a run</FilePick>
      </span>
    }>
      {deleted && <div className="deleted" role="status" data-testid="run-deleted">
        deleted <b>{deleted.name}</b>{' '}
        <button ref={undo} data-testid="run-undo" onClick={() => void a.undoDelete()}>undo</button>{' '}
        <button className="link" onClick={() => a.dismissDeleted()}>dismiss</button>
      </div>}
      {runs.length === 0 ? <div className="muted">Runs are saved here as they train.</div> : (
        <div className="scroll-x"><table className="runs" data-testid="runs">
          <thead><tr><th><span className="sr-only">compare</span></th><th>run</th><th>status</th><th>params</th><th>best val</th><th>final val</th><th>epochs</th><th>time</th><th>s / epoch</th><th><span className="sr-only">actions</span></th></tr></thead>
          <tbody>
            {runs.map((r) => <RunRow key={r.id} r={r} compared={compare.includes(r.id)} viewed={r.id === viewId} live={r.id === liveId} />)}
          </tbody>
        </table></div>
      )}
      {shown.length > 0 && <Overlay runs={shown} />}
    </Panel>
  );
}
