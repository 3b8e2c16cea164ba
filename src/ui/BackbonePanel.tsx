// Backbone: pick a bundled starter or a catalogue model (downloaded with a progress bar, cached in IndexedDB),
// or drop / choose any .onnx file. Shows what the worker detected and lets the user edit the normalisation.
import { useState, type DragEvent } from 'react';
import { useActions, useStudio } from '../store/hooks.ts';
import { Field, fmtInt, NumberInput, Panel } from './widgets.tsx';

export function BackbonePanel() {
  const b = useStudio((s) => s.backbone);
  const catalog = useStudio((s) => s.catalog);
  const cfg = useStudio((s) => s.cfg);
  const a = useActions();
  const [over, setOver] = useState(false);

  const loadFile = async (f: File | undefined) => {
    if (!f) return;
    await a.loadBackboneFile(f.name, new Uint8Array(await f.arrayBuffer()));
  };
  const onDrop = (e: DragEvent) => {
    e.preventDefault();
    setOver(false);
    void loadFile([...e.dataTransfer.files].find((f) => f.name.toLowerCase().endsWith('.onnx')) ?? e.dataTransfer.files[0]);
  };
  const info = b.info;
  const setNorm = (which: 'mean' | 'std', i: number, v: number) => {
    const mean = [...cfg.mean], std = [...cfg.std];
    (which === 'mean' ? mean : std)[i] = v;
    a.setNormalisation(mean, std);
  };

  return (
    <Panel title="1 · Backbone">
      <div className="row">
        <select aria-label="catalogue" value="" onChange={(e) => { const c = catalog.find((x) => x.id === e.target.value); if (c) void a.loadCatalogEntry(c); }}>
          <option value="">{catalog.length ? 'Choose from the catalogue…' : 'No bundled backbones found'}</option>
          {catalog.map((c) => <option key={c.id} value={c.id}>{c.name}{c.bundled ? ' (bundled)' : ' (download)'}</option>)}
        </select>
      </div>
      <div className={`drop ${over ? 'over' : ''}`} onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)} onDrop={onDrop}>
        Drop an <b>.onnx</b> backbone here, or <label className="link">choose a file<input type="file" accept=".onnx" data-testid="model-input" hidden onChange={(e) => void loadFile(e.target.files?.[0])} /></label>
      </div>
      {b.status === 'loading' && (
        <div className="muted">Loading {b.name}… {b.progress !== undefined && <progress value={b.progress} max={1} />}</div>
      )}
      {b.status === 'error' && <div className="error">Cannot use {b.name || 'this model'}: {b.error}</div>}
      {info && b.status === 'ready' && (
        <>
          <table className="kv" data-testid="backbone-info">
            <tbody>
              <tr><th>file</th><td>{b.name} <span className="muted">({(b.bytes / 2 ** 20).toFixed(1)} MiB)</span></td></tr>
              <tr><th>family</th><td>{info.family}{info.vit && ` · ${info.vit.depth} blocks, width ${info.vit.width}, patch ${info.vit.patch}`}</td></tr>
              <tr><th>input</th><td>{info.inputSize}×{info.inputSize}{info.fixedBatch !== undefined && ` · fixed batch ${info.fixedBatch}`}</td></tr>
              <tr><th>parameters</th><td>{fmtInt(info.params)}</td></tr>
              <tr><th>feature width</th><td>{info.featureWidth ?? '–'}{info.numSourceClasses !== undefined && ` · ${info.numSourceClasses} source classes`}</td></tr>
            </tbody>
          </table>
          <div className="norm">
            <div className="muted">Normalisation — {b.norm?.why}</div>
            {(['mean', 'std'] as const).map((which) => (
              <Field key={which} label={which}>
                <span className="triple">
                  {[0, 1, 2].map((i) => <NumberInput key={i} value={cfg[which][i]} step={0.001} min={which === 'std' ? 1e-6 : undefined} onChange={(v) => setNorm(which, i, v)} />)}
                </span>
              </Field>
            ))}
          </div>
          {b.warnings.map((w) => <div key={w} className="warn">{w}</div>)}
        </>
      )}
    </Panel>
  );
}
