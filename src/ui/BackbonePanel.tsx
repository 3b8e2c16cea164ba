// Backbone: pick a bundled starter or a catalogue model (downloaded with a progress bar, cached in IndexedDB),
// or drop / choose any .onnx file — with the hub's config.json / preprocessor_config.json beside it for class names,
// normalisation and input size, and its external data files (model.onnx_data …) when it keeps its weights there. Shows what the worker detected and what loading did to the file, lets the user
// pick the input size L where the graph leaves it free, and edit the normalisation. On WebGPU: the adapter, its
// buffer limits and how a step of the current settings will run (whole batch or micro-batches, under the budget);
// on wasm the same plan under the heap's 4 GiB cap.
import { useActions, useStudio } from '../store/hooks.ts';
import { catalogEntryOf } from '../store/catalog.ts';
import { formatProgress } from '../store/download.ts';
import type { MemoryPlan } from '../worker/protocol.ts';
import { fmtInt, fmtMiB as mib, fmtNum } from './format.ts';
import { DropZone, Field, NumberInput, Panel } from './widgets.tsx';


/** Input sizes offered where the graph leaves L free (multiples of 32: every CNN stride divides them). */
const SIZES = [64, 96, 128, 160, 192, 224, 256, 288, 320, 384, 448, 512];

export function BackbonePanel() {
  const b = useStudio((s) => s.backbone);
  const catalog = useStudio((s) => s.catalog);
  const cfg = useStudio((s) => s.cfg);
  const backend = useStudio((s) => s.backend);
  const memPlan = useStudio((s) => s.memoryPlan);
  const gpu = backend.ep === 'webgpu' ? backend : undefined;
  const a = useActions();

  const loadFiles = async (list: File[]) => {
    if (!list.length) return;
    // the model and its config files are read now; any other file (external data) only if the model names it
    const now = (f: File) => list.length === 1 || /\.onnx$|^(config|preprocessor_config)\.json$/i.test(f.name);
    const read = async (f: File) => new Uint8Array(await f.arrayBuffer());
    await a.loadBackboneFiles(await Promise.all(list.map(async (f) => (now(f) ? { name: f.name, bytes: await read(f) } : { name: f.name, read: () => read(f) }))));
  };
  const info = b.info;
  // the catalogue entry that is loaded (by the URL it came from, or its sha256), so the select shows it
  const loadedId = b.status === 'ready' ? catalogEntryOf(catalog, b)?.id ?? '' : '';
  const setNorm = (which: 'mean' | 'std', i: number, v: number) => {
    const mean = [...cfg.mean], std = [...cfg.std];
    (which === 'mean' ? mean : std)[i] = v;
    a.setNormalisation(mean, std);
  };

  return (
    <Panel title="1 · Backbone">
      <div className="row">
        <select aria-label="catalogue" data-testid="catalog-select" value={loadedId} onChange={(e) => { const c = catalog.find((x) => x.id === e.target.value); if (c) void a.loadCatalogEntry(c); }}>
          <option value="">{catalog.length ? 'Choose from the catalogue…' : 'No bundled backbones found'}</option>
          {catalog.map((c) => <option key={c.id} value={c.id}>{c.name}{c.bundled ? ' (bundled)' : ' (download)'}</option>)}
        </select>
      </div>
      <DropZone label="backbone drop zone: drop an .onnx file (with config.json, preprocessor_config.json and its data files), or press Enter to choose files"
        multiple testId="model-input" pickLabel="choose files" onFiles={(f) => void loadFiles(f)} onDrop={(dt) => void loadFiles([...dt.files])}>
        Drop an <b>.onnx</b> backbone here (with its <code>config.json</code> and <code>preprocessor_config.json</code> if it came with them, and its <code>model.onnx_data</code> if its weights are kept there), or
      </DropZone>
      {b.status === 'loading' && (
        <div className="muted" role="status">Loading {b.name}… {b.progress && (
          <><progress value={b.progress.total ? b.progress.received / b.progress.total : undefined} max={1} /> {formatProgress(b.progress)}</>
        )}</div>
      )}
      {b.status === 'error' && <div className="error" role="alert">{b.error}</div>}
      {info && b.status === 'ready' && (
        <>
          <table className="kv" data-testid="backbone-info">
            <tbody>
              <tr><th>file</th><td>{b.name} <span className="muted">({fmtNum(b.bytes / 2 ** 20)} MiB)</span></td></tr>
              <tr><th>family</th><td>{info.family}{info.vit && ` · ${info.vit.depth} blocks, width ${info.vit.width}, patch ${info.vit.patch}`}</td></tr>
              <tr><th>input</th><td>
                {info.inputSizeFixed ? `${info.inputSize}×${info.inputSize} (fixed by the model)` : (
                  <label>L <select aria-label="input size L" data-testid="input-size" value={info.inputSize} onChange={(e) => void a.setInputSize(Number(e.target.value))}>
                    {[...new Set([...SIZES, info.inputSize])].sort((x, y) => x - y).map((L) => <option key={L} value={L}>{L}×{L}</option>)}
                  </select></label>
                )}
                {info.fixedBatch !== undefined && ` · exported with batch ${info.fixedBatch} (re-batched)`}
              </td></tr>
              <tr><th>sha256</th><td><code title={b.sha256}>{b.sha256.slice(0, 16)}…</code>{b.shaSource && <span className="muted"> ({b.shaSource === 'published' ? 'matches the published digest' : 'recorded at the first download'})</span>}</td></tr>
              <tr><th>parameters</th><td>{fmtInt(info.params)}</td></tr>
              {gpu && <tr><th>GPU</th><td data-testid="gpu-plan">{gpu.label.replace(/^webgpu \(|\)$/g, '')}
                {gpu.limits && <span className="muted"> · buffers up to {mib(gpu.limits.maxBufferSize)}, one binding up to {mib(gpu.limits.maxStorageBufferBindingSize)}</span>}
                {memPlan && <div><StepPlan plan={memPlan} /></div>}
              </td></tr>}
              {!gpu && backend.ep === 'wasm' && memPlan && <tr><th>memory</th><td data-testid="wasm-plan">wasm heap, capped at 4 GiB
                <div><StepPlan plan={memPlan} /></div>
              </td></tr>}
              <tr><th>feature width</th><td>{info.featureWidth ?? '–'}{info.numSourceClasses !== undefined && ` · ${info.numSourceClasses} source classes`}{info.featureSource && ` · feature extractor (lp reads the ${info.featureSource})`}</td></tr>
            </tbody>
          </table>
          <div className="norm">
            <div className="muted">Normalisation — {b.norm?.why}</div>
            {(['mean', 'std'] as const).map((which) => (
              <Field key={which} label={which}>
                <span className="triple">
                  {[0, 1, 2].map((i) => <NumberInput key={i} label={`${which} ${'RGB'[i]}`} value={cfg[which][i]} step={0.001} min={which === 'std' ? 1e-6 : undefined} onError={(m) => a.setFieldError(`${which} ${'RGB'[i]}`, m)} onChange={(v) => setNorm(which, i, v)} />)}
                </span>
              </Field>
            ))}
          </div>
          {(info.loadNotes.length > 0 || b.meta) && (
            <details data-testid="load-notes"><summary>What loading did</summary>
              <ul>{[...(b.meta?.notes ?? []), ...info.loadNotes].map((n) => <li key={n}>{n}</li>)}</ul>
            </details>
          )}
          {b.error && <div className="error" role="alert" data-testid="backbone-error">{b.error} — still using {b.name}</div>}
          {b.warnings.map((w) => <div key={w} className="warn">{w}</div>)}
        </>
      )}
    </Panel>
  );
}

/** How a step of the current settings will run under its memory budget (GPU budget or the wasm heap's share). */
function StepPlan({ plan }: { plan: MemoryPlan }) {
  if (plan.error) return <span className="error">{plan.error}</span>;
  return <>one step of batch {plan.batch}: {plan.microBatch ? <b>micro-batches of {plan.microBatch}</b> : 'the whole batch at once'} · about {mib(plan.peakBytes)} of the {mib(plan.budgetBytes)} budget, largest tensor {mib(plan.largestTensorBytes)}</>;
}
