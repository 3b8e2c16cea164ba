// Compare methods: what the comparison will train (each method's settings, the shared budget, one sentence per
// method on what it changes), the button, then the table — trainable parameters, wall time, best and final val
// accuracy, the winner and its margin — and each method's learned prompt side by side on the same images.
import { useEffect, useMemo, useRef } from 'react';
import { compareRow, overProbeSentence, verdict, verdictSentence, type CompareRow } from '../store/compare-table.ts';
import { settingsLine } from '../store/compare-plan.ts';
import { plannedComparison } from '../store/comparison.ts';
import { useActions, useStudio } from '../store/hooks.ts';
import { cannotStart } from '../store/training.ts';
import { ComparePrompts } from './ComparePrompts.tsx';
import { fmtDuration, fmtInt, fmtPct } from './format.ts';
import { NumberInput, Panel } from './widgets.tsx';

/** The comparison the loaded backbone and data would run now, recomputed only when one of its inputs changes (not on
 * every training step). */
function usePlan() {
  const cfg = useStudio((s) => s.cfg), backbone = useStudio((s) => s.backbone), data = useStudio((s) => s.data);
  const catalog = useStudio((s) => s.catalog), compareEpochs = useStudio((s) => s.compareEpochs);
  return useMemo(() => plannedComparison({ cfg, backbone, data, catalog, compareEpochs }), [cfg, backbone, data, catalog, compareEpochs]);
}

export function ComparePanel() {
  const planned = usePlan();
  const comparison = useStudio((s) => s.comparison);
  const runs = useStudio((s) => s.runs);
  const epochs = useStudio((s) => s.compareEpochs);
  const why = useStudio(cannotStart);
  const a = useActions();
  const running = !!comparison?.running;
  // the last comparison's plan while it runs or once it ran, else what would run now
  const entries = comparison?.entries ?? planned ?? [];
  const rows: (CompareRow | undefined)[] = entries.map((e, i) => {
    const id = comparison?.ids[i], r = id ? runs.find((x) => x.id === id) : undefined;
    return r && compareRow(r, e.label);
  });
  const records = (comparison?.ids ?? []).map((id) => runs.find((r) => r.id === id)).filter((r) => r !== undefined);
  const valImages = records[0]?.data.val ?? 0;
  const ended = comparison && !running && rows.some((r) => r);
  const v = ended ? verdict(rows.filter((r) => r !== undefined), valImages) : undefined;
  const budget = entries[0]?.cfg;
  // keyboard focus stays on a visible control: Stop comparing while it runs (Compare methods is disabled), then
  // Compare methods again
  const stopRef = useRef<HTMLButtonElement>(null), startRef = useRef<HTMLButtonElement>(null);
  const wasRunning = useRef(running);
  useEffect(() => {
    if (wasRunning.current === running) return;
    wasRunning.current = running;
    const now = document.activeElement;
    const lost = !now || now === document.body || now === startRef.current || now === stopRef.current || !now.isConnected;
    if (!lost) return;
    (running ? stopRef : startRef).current?.focus();
  }, [running]);
  return (
    <Panel title="5 · Compare methods" id="compare">
      <p className="muted">
        Trains every method below in turn on this data, each at its paper&apos;s settings scaled to this backbone and with the same new linear
        head, for the same number of epochs (the same images), then tables them and shows what each prompt learned.
      </p>
      <div className="controls">
        <label className="field inline">epochs per method
          <NumberInput value={epochs} min={1} integer testId="compare-epochs" disabled={running} onChange={(n) => a.setCompareEpochs(n)} />
        </label>
        <button className="primary" data-testid="compare-methods" ref={startRef} disabled={!!why || running} title={why} onClick={() => void a.compareMethods()}>Compare methods</button>
        {running && <button data-testid="compare-stop" ref={stopRef} onClick={() => a.stopComparison()}>Stop comparing</button>}
        {running && <span className="muted" data-testid="comparing">comparing methods: {comparison.done} of {comparison.entries.length} done</span>}
      </div>
      {budget && <p className="muted" data-testid="compare-budget">Each method: {budget.epochs} epoch{budget.epochs === 1 ? '' : 's'} × batch {budget.batchSize}, seed {budget.seed}, no augmentation{comparison && !running ? ' (as run)' : ''}.</p>}
      <div className="scroll" tabIndex={0} role="region" aria-label="comparison table">
        <table className="compare" data-testid="compare-table">
          <thead><tr><th>method and settings</th><th>trainable params</th><th>wall time</th><th>best val acc</th><th>final val acc</th></tr></thead>
          <tbody>
            {entries.map((e, i) => {
              const r = rows[i], win = v && r && v.winner.id === r.id;
              return (
                <tr key={e.method} data-testid="compare-row" data-method={e.method} className={win ? 'winner' : undefined}>
                  <td data-label="method"><b>{e.label}</b>{win && <span className="win" data-testid="compare-winner"> winner</span>}
                    <br /><span className="muted" data-testid="compare-settings">{settingsLine(e)}</span><br /><span className="muted">{e.why}</span></td>
                  <td data-label="trainable params">{r ? fmtInt(r.trainable) : '–'}</td>
                  <td data-label="wall time">{r ? fmtDuration(r.seconds) : '–'}</td>
                  <td data-label="best val acc">{r ? fmtPct(r.bestVal) : '–'}</td>
                  <td data-label="final val acc" data-value={r?.finalVal ?? ''}>{r ? (win ? <b>{fmtPct(r.finalVal)}</b> : fmtPct(r.finalVal)) : '–'}{r && r.status !== 'done' ? ` (${r.status})` : ''}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
      {ended && <p data-testid="compare-verdict">{verdictSentence(v, valImages)} {overProbeSentence(rows.filter((r) => r !== undefined))}</p>}
      <h3>What each method changes</h3>
      <ul className="changes" data-testid="compare-changes">
        {entries.map((e) => <li key={e.method}>{e.changes}</li>)}
      </ul>
      {ended && <ComparePrompts entries={entries} ids={comparison.ids} records={records} params={comparison.params} />}
    </Panel>
  );
}
