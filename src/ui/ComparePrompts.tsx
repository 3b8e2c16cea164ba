// Each compared method's learned prompt side by side on the same validation images: one column per method, the
// prompt itself on top (grey = 0, each scaled to its own largest value) and below it every sample as the backbone
// sees it with that prompt added (pixels clamped for display). VPT's tokens and the linear probe leave the pixels
// as they are, which the picture shows too.
import { useMemo } from 'react';
import type { CompareEntry } from '../store/compare-plan.ts';
import type { RunRecord } from '../persist/runs.ts';
import { addPrompt, visiblePrompt, vptTokenNorms } from '../store/visuals.ts';
import type { WireTensor } from '../worker/protocol.ts';
import { fmtNum } from './format.ts';
import { promptOf } from './Pictures.tsx';
import { PlanesImage } from './widgets.tsx';

interface Column { entry: CompareEntry; record: RunRecord; prompt: Float32Array | undefined; note: string }

function columnOf(entry: CompareEntry, record: RunRecord, params: Record<string, WireTensor> | undefined): Column {
  const prompt = params ? promptOf(record, params) : undefined;
  const tokens = params?.['prompt.tokens'];
  let note = 'no prompt: the images are unchanged';
  if (!params) note = 'no trained tensors saved';
  else if (prompt) note = `max |P| = ${fmtNum(visiblePrompt(prompt).maxAbs)} (pixel units)`;
  else if (tokens) {
    const norms = vptTokenNorms(tokens, params['prompt.deep'])[0];
    note = `${tokens.shape[0]} tokens × ${tokens.shape[1]}, not pixels (norms ${norms.map((n) => fmtNum(n, 2)).join(', ')})`;
  }
  return { entry, record, prompt, note };
}

export function ComparePrompts(p: { entries: CompareEntry[]; ids: string[]; records: RunRecord[]; params: Record<string, Record<string, WireTensor>> }) {
  const columns = useMemo(() => p.entries.flatMap((entry, i) => {
    const record = p.records.find((r) => r.id === p.ids[i]);
    return record ? [columnOf(entry, record, p.params[record.id])] : [];
  }), [p.entries, p.ids, p.records, p.params]);
  const samples = p.records.find((r) => r.samples?.length)?.samples ?? [];
  if (!columns.length) return null;
  const L = columns[0].record.backbone.info.inputSize;
  return (
    <>
      <h3>What each prompt learned, on the same validation images</h3>
      <div className="scroll" tabIndex={0} role="region" aria-label="learned prompts side by side">
        <table className="side" data-testid="compare-prompts">
          <thead>
            <tr><th scope="col">image</th>{columns.map((c) => <th scope="col" key={c.entry.method}>{c.entry.label}</th>)}</tr>
          </thead>
          <tbody>
            <tr data-testid="compare-prompt-row">
              <th scope="row">prompt<br /><span className="muted">grey = 0</span></th>
              {columns.map((c) => (
                <td key={c.entry.method} data-method={c.entry.method}>
                  {c.prompt ? <PlanesImage data={visiblePrompt(c.prompt).image} size={L} scale={2} title={`${c.entry.label} prompt`} /> : <span className="empty" aria-hidden="true">—</span>}
                  <br /><span className="muted">{c.note}</span>
                </td>
              ))}
            </tr>
            {samples.map((s) => (
              <tr key={s.path}>
                <th scope="row"><PlanesImage data={s.data} size={s.size} scale={2} title={s.path} /><br /><span className="muted">{p.records[0].classes[s.label]}</span></th>
                {columns.map((c) => (
                  <td key={c.entry.method}><PlanesImage data={c.prompt ? addPrompt(s.data, c.prompt) : s.data} size={s.size} scale={2} title={`${s.path} with the ${c.entry.label} prompt`} /></td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}
