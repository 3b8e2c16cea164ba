// Results of the finished (or opened) run: prompt pictures, VPT norms, the label mapping, per-class accuracy, a
// confusion matrix whose cells list the misclassified images, and the exports in the CLI's formats.
import { useState } from 'react';
import { catalogEntryOf } from '../store/catalog.ts';
import { useActions, useStudio } from '../store/hooks.ts';
import type { FileOut } from '../store/library.ts';
import type { ResultView } from '../store/state.ts';
import { perClassShown, runFigures, untrainedReason } from '../store/run-figures.ts';
import { PromptPictures, VptNorms } from './Pictures.tsx';
import { fmtDuration, fmtPct } from './format.ts';
import { BlobImage, download, Panel } from './widgets.tsx';

function Confusion(p: { view: ResultView }) {
  const ev = p.view.record.evaluation;
  const files = useStudio((s) => s.data.files);
  const [cell, setCell] = useState<[number, number]>();
  if (!ev) return null;
  const classes = p.view.record.classes;
  const max = Math.max(1, ...ev.confusion.flat());
  const picked = cell ? ev.paths.filter((_, i) => ev.labels[i] === cell[0] && ev.predictions[i] === cell[1]) : [];
  return (
    <div>
      <h3>Confusion matrix <span className="muted">(rows: true class, columns: predicted; click a cell)</span></h3>
      <div className="scroll-x"><table className="heat confusion" data-testid="confusion">
        <thead><tr><th />{classes.map((c, j) => <th key={c} title={c}>{j}</th>)}</tr></thead>
        <tbody>
          {ev.confusion.map((row, i) => (
            <tr key={i}>
              <th title={classes[i]}>{i} {classes[i]}</th>
              {row.map((v, j) => (
                <td key={j} className={cell && cell[0] === i && cell[1] === j ? 'sel' : ''}
                  style={{ background: i === j ? `rgba(47, 158, 68, ${(0.08 + 0.8 * v / max).toFixed(3)})` : v ? `rgba(224, 49, 49, ${(0.12 + 0.8 * v / max).toFixed(3)})` : undefined }}>
                  <button className="cell" aria-label={`${classes[i]} predicted as ${classes[j]}: ${v}`} aria-pressed={!!cell && cell[0] === i && cell[1] === j} onClick={() => setCell([i, j])}>{v || ''}</button></td>
              ))}
            </tr>
          ))}
        </tbody>
      </table></div>
      {cell && (
        <div className="misclassified">
          <b>{classes[cell[0]]}</b> predicted as <b>{classes[cell[1]]}</b>: {picked.length} image{picked.length === 1 ? '' : 's'}
          <div className="thumbs">
            {picked.slice(0, 60).map((path) => { const b = files.get(path); return b ? <BlobImage key={path} blob={b} alt={path} size={48} /> : <code key={path}>{path} </code>; })}
          </div>
        </div>
      )}
    </div>
  );
}

export function ResultsPanel() {
  const view = useStudio((s) => s.view);
  const a = useActions();
  const [error, setError] = useState<string>();
  if (!view) return <Panel title="6 · Results"><div className="muted">Train a run (or open a saved one) to see what the prompt learned.</div></Panel>;
  const r = view.record, ev = r.evaluation, fig = runFigures(r), untrained = untrainedReason(r);
  const save = async (f: () => FileOut | Promise<FileOut>) => {
    setError(undefined);
    try {
      const out = await f();
      for (const o of [out, ...(out.alongside ?? [])]) download(o.name, o.bytes, o.mime);   // a large model's data file beside it
    } catch (e) { setError(e instanceof Error ? e.message : String(e)); }
  };
  return (
    <Panel title="6 · Results" aside={<span className="muted">{r.name}</span>}>
      {!untrained && <div className="controls">
        <button data-testid="export-prompt" onClick={() => void save(() => a.exportPrompt())}>prompt.safetensors</button>
        <button data-testid="export-manifest" onClick={() => void save(() => a.exportManifest())}>manifest.json</button>
        <button data-testid="export-model" onClick={() => void save(() => a.exportModel())}>model.onnx</button>
        <button data-testid="export-checkpoint" title="the last completed epoch with the optimiser's state: continue this run with vp-studio train --resume or python -m vp_studio.train --resume" onClick={() => void save(() => a.exportCheckpoint())}>checkpoint.safetensors</button>
        <button data-testid="evaluate" title="score this run on the validation split of the loaded data" onClick={() => void a.evaluateView()}>evaluate on loaded data</button>
        {error && <span className="error">{error}</span>}
      </div>}
      <div className="muted" data-testid="result-summary">
        {r.status} · final val acc <b data-testid="final-val-acc">{fmtPct(ev?.accuracy ?? fig.finalVal)}</b> · {fig.epochs} epoch{fig.epochs === 1 ? '' : 's'} in {fmtDuration(r.seconds)} on {r.backend}
      </div>
      {untrained ? <p className="warn" data-testid="untrained">{untrained}</p> : <Learned view={view} />}
    </Panel>
  );
}

/** What a run that trained at least an epoch learned: prompt pictures, norms, per-class accuracy, mapping, confusion. */
function Learned({ view }: { view: ResultView }) {
  const catalog = useStudio((s) => s.catalog);
  const loaded = useStudio((s) => s.backbone);
  const r = view.record, ev = r.evaluation;
  const sourceNames = (loaded.sha256 === r.backbone.sha256 ? loaded.meta?.labels : undefined) ?? catalogEntryOf(catalog, r.backbone)?.classes;
  const perClass = ev && perClassShown(ev);
  return (
    <>
      <PromptPictures record={r} params={view.params} />
      <VptNorms params={view.params} />
      <div className="two">
        {ev && (
          <div>
            <h3>Per-class accuracy</h3>
            <table className="bars" data-testid="per-class">
              <tbody>
                {r.classes.map((c, i) => (
                  <tr key={c}><td>{c}</td><td><span className="bar" style={{ width: `${Math.round(100 * (perClass![i] ?? 0))}%` }} /></td>
                    <td title={perClass![i] === null ? 'no validation images of this class' : undefined}>{fmtPct(perClass![i])}</td></tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
        {r.mapping && (
          <div>
            <h3>Label mapping <span className="muted">({r.cfg.head})</span></h3>
            <table className="kv" data-testid="mapping">
              <thead><tr><th>target class</th><th>source class</th></tr></thead>
              <tbody>{r.classes.map((c, t) => <tr key={c}><td>{c}</td><td>{r.mapping![t]}{sourceNames?.[r.mapping![t]] ? ` · ${sourceNames[r.mapping![t]]}` : ''}</td></tr>)}</tbody>
            </table>
          </div>
        )}
      </div>
      <Confusion view={view} />
    </>
  );
}
