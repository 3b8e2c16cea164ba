// The studio layout: header with the backend badge, the four setup/training panels, results and saved runs.
import { useEffect, useState } from 'react';
import { isActive, shortBackendLabel } from '../store/state.ts';
import { useActions, useStudio } from '../store/hooks.ts';
import type { BackendChoice } from '../worker/protocol.ts';
import { BackbonePanel } from './BackbonePanel.tsx';
import { ComparePanel } from './ComparePanel.tsx';
import { DataPanel } from './DataPanel.tsx';
import { MethodPanel } from './MethodPanel.tsx';
import { ResultsPanel } from './ResultsPanel.tsx';
import { RunsPanel } from './RunsPanel.tsx';
import { TrainPanel } from './TrainPanel.tsx';
import { TryPanel } from './TryPanel.tsx';
import { Select } from './widgets.tsx';

/** The badge's short label: the backend alone; the reason it was chosen is one click away. */
export function shortBackend(b: { status: string; ep: 'webgpu' | 'wasm' | undefined; label: string }): string {
  if (b.status === 'starting') return 'starting…';
  if (b.status === 'error') return 'no backend';
  return shortBackendLabel(b.label);
}

function BackendBadge() {
  const b = useStudio((s) => s.backend);
  const busy = useStudio((s) => isActive(s.run.phase));
  const a = useActions();
  const [why, setWhy] = useState(false);
  const limits = b.limits ? ` · GPU buffers up to ${Math.round(b.limits.maxBufferSize / 2 ** 20)} MiB, one binding up to ${Math.round(b.limits.maxStorageBufferBindingSize / 2 ** 20)} MiB` : '';
  const detail = `${b.label} · ${b.runtime}${b.isolated ? ` · cross-origin isolated, ${b.threads} wasm threads` : ' · not cross-origin isolated (1 wasm thread)'}${limits}`;
  return (
    <div className="backend">
      <span className={`badge ${b.ep ?? b.status}`} data-testid="backend" data-ep={b.ep ?? ''} data-label={b.label} title={detail}>{shortBackend(b)}</span>
      {b.status === 'ready' && <button className="link" data-testid="backend-why-toggle" aria-expanded={why} onClick={() => setWhy(!why)}>why?</button>}
      <Select<BackendChoice> value={b.choice} disabled={busy} testId="backend-select" label="compute backend" onChange={(c) => void a.setBackend(c)}
        options={[{ value: 'auto', label: 'auto' }, { value: 'webgpu', label: 'WebGPU' }, { value: 'wasm', label: 'wasm (CPU)' }]} />
      {why && <div className="muted backend-why" data-testid="backend-why">{detail}</div>}
    </div>
  );
}

export function App() {
  const notice = useStudio((s) => s.notice);
  const a = useActions();
  // a run that is training or whose results are still being written would be lost (or left half-saved) by leaving
  const busy = useStudio((s) => isActive(s.run.phase) || !!s.run.saving);
  useEffect(() => {
    if (!busy) return;
    const ask = (e: BeforeUnloadEvent) => { e.preventDefault(); };
    window.addEventListener('beforeunload', ask);
    return () => window.removeEventListener('beforeunload', ask);
  }, [busy]);
  return (
    <div className="app">
      <header className="top">
        <h1>Visual Prompt Studio</h1>
        <span className="muted">Adapt a frozen backbone to your classes by training a tiny visual prompt — in your browser.</span>
        <BackendBadge />
      </header>
      {notice && <div className="notice" role="status" data-testid="notice">{notice} <button className="link" onClick={() => a.dismissNotice()}>dismiss</button></div>}
      <main>
        <div className="setup">
          <BackbonePanel />
          <DataPanel />
          <MethodPanel />
        </div>
        <div className="work">
          <TrainPanel />
          <ComparePanel />
          <ResultsPanel />
          <TryPanel />
          <RunsPanel />
        </div>
      </main>
    </div>
  );
}
