// Data: drop one or more folders (one subfolder per class, or train/ + val/) or pick one; shows classes, counts,
// thumbnails, the files that were skipped (with why) and the bundled demo as a one-click option.
import { valCount } from '../data/split.ts';
import { useActions, useStudio } from '../store/hooks.ts';
import { datasetName, filesFromDrop, filesFromInput } from './drop-files.ts';
import { WebcamCollect } from './WebcamCollect.tsx';
import { BlobImage, DropZone, Panel } from './widgets.tsx';

export function DataPanel() {
  const d = useStudio((s) => s.data);
  const valFraction = useStudio((s) => s.cfg.valFraction);
  const a = useActions();
  const onDrop = async (dt: DataTransfer) => {
    const files = await filesFromDrop(dt);
    if (files.length) void a.loadFiles(datasetName(files), files);
  };
  const s = d.summary;
  return (
    <Panel title="2 · Data" aside={<button onClick={() => void a.loadDemo()}>Use demo data</button>}>
      <DropZone label="data drop zone: drop image folders (one subfolder per class, or train/ + val/), or press Enter to choose a folder"
        multiple directory testId="dataset-input" pickLabel="choose a folder" onDrop={(dt) => void onDrop(dt)}
        onFiles={(list) => { const files = filesFromInput(list); void a.loadFiles(datasetName(files), files); }}>
        Drop image folders here (one subfolder per class, or <code>train/</code> + <code>val/</code>), or
      </DropZone>
      <WebcamCollect />
      {d.status === 'loading' && (
        <div className="muted">Reading {d.name}… {d.progress && <><progress value={d.progress.done} max={Math.max(1, d.progress.total)} /> {d.progress.done}/{d.progress.total}</>}</div>
      )}
      {d.status === 'error' && <div className="error">{d.name}: {d.error}</div>}
      {s && d.status === 'ready' && (
        <>
          <div className="muted" data-testid="data-summary">
            <b>{d.name}</b>: {s.classes.length} classes, {s.total} images
            {s.layout === 'splits' ? ' (given train/val split)' : ` (${Math.round(valFraction * 100)}% of each class held out for validation, seeded)`}
          </div>
          <table className="classes">
            <thead><tr><th>#</th><th>class</th><th>train</th><th>val</th><th><span className="sr-only">examples</span></th></tr></thead>
            <tbody>
              {s.classes.map((c, i) => (
                <tr key={c}>
                  <td className="muted">{i}</td><td>{c}</td>
                  {s.layout === 'splits' ? <><td>{s.counts.train[i]}</td><td>{s.counts.val[i]}</td></>
                    : <><td>{s.counts.train[i] - valCount(s.counts.train[i], valFraction)}</td><td>{valCount(s.counts.train[i], valFraction)}</td></>}
                  <td className="thumbs">{s.thumbnails[i].map((t, k) => <BlobImage key={k} blob={t} alt={c} size={32} />)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          {s.warnings.map((w) => <div key={w} className="warn">{w}</div>)}
          {s.skipped.length > 0 && (
            <details className="warn" data-testid="skipped">
              <summary>{s.skipped.length} file{s.skipped.length > 1 ? 's' : ''} skipped</summary>
              <ul>{s.skipped.slice(0, 200).map((f) => <li key={f.path}><code>{f.path}</code>: {f.reason}</li>)}</ul>
            </details>
          )}
        </>
      )}
    </Panel>
  );
}
