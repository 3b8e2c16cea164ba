// What the prompt learned, as pictures: the LoR-VP prompt B·A and the pad prompt frame (signed, mid-grey = 0)
// next to a validation sample before and after adding it; VPT prompt-token norms per layer as a heat table.
import { useMemo } from 'react';
import type { RunRecord } from '../persist/runs.ts';
import { addPrompt, lorvpPrompt, padPrompt, toPixelSpace, visiblePrompt, vptTokenNorms } from '../store/visuals.ts';
import type { WireTensor } from '../worker/protocol.ts';
import { fmtNum } from './format.ts';
import { PlanesImage } from './widgets.tsx';

/** The run's prompt as a [3, L, L] image in pixel units (LoR-VP's B·A, the pad frame), or undefined (VPT, none). */
export function promptOf(record: RunRecord, params: Record<string, WireTensor>): Float32Array | undefined {
  const p = params;
  if (record.cfg.method === 'lorvp' && p['prompt.B'] && p['prompt.A']) return lorvpPrompt(p['prompt.B'], p['prompt.A']);
  if (record.cfg.method === 'pad' && p['prompt.pad_up']) {
    return toPixelSpace(padPrompt(p['prompt.pad_up'], p['prompt.pad_down'], p['prompt.pad_left'], p['prompt.pad_right']), record.cfg.std);
  }
  return undefined;
}

export function PromptPictures(p: { record: RunRecord; params: Record<string, WireTensor> }) {
  const L = p.record.backbone.info.inputSize;
  const P = useMemo(() => promptOf(p.record, p.params), [p.record, p.params]);
  if (!P) return null;
  const vis = visiblePrompt(P);
  const samples = p.record.samples ?? [];
  return (
    <div className="pictures" data-testid="prompt-picture">
      <figure>
        <PlanesImage data={vis.image} size={L} title="prompt (grey = 0)" />
        <figcaption>{p.record.cfg.method === 'lorvp' ? 'prompt P = B·A' : 'pad prompt (pixel units)'}<br /><span className="muted">max |P| = {fmtNum(vis.maxAbs)}</span></figcaption>
      </figure>
      {samples.map((s) => (
        <figure key={s.path}>
          <span className="pair"><PlanesImage data={s.data} size={s.size} scale={3} title={s.path} /><PlanesImage data={addPrompt(s.data, P)} size={s.size} scale={3} title="sample + prompt" /></span>
          <figcaption>{p.record.classes[s.label]}: image → image + prompt</figcaption>
        </figure>
      ))}
    </div>
  );
}

export function VptNorms(p: { params: Record<string, WireTensor> }) {
  const tokens = p.params['prompt.tokens'];
  if (!tokens) return null;
  const rows = vptTokenNorms(tokens, p.params['prompt.deep']);
  const max = Math.max(...rows.flat(), 1e-9);
  return (
    <div data-testid="vpt-norms">
      <h3>VPT prompt-token norms per layer</h3>
      <table className="heat">
        <thead><tr><th>layer</th>{rows[0].map((_, k) => <th key={k}>t{k}</th>)}</tr></thead>
        <tbody>
          {rows.map((r, l) => (
            <tr key={l}>
              <th>{l === 0 ? 'input' : `block ${l}`}</th>
              {r.map((v, k) => <td key={k} style={{ background: `rgba(25, 113, 194, ${(0.1 + 0.8 * v / max).toFixed(3)})` }}>{fmtNum(v)}</td>)}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
