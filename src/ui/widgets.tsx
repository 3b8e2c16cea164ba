// Small shared UI pieces: a titled panel, labelled fields, a number input that commits valid numbers only,
// an image drawn from [3, L, L] float planes, a blob thumbnail, and the file download helper.
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { planesToRgba } from '../store/visuals.ts';

export function Panel(p: { title: string; children: ReactNode; aside?: ReactNode; id?: string }) {
  return (
    <section className="panel" id={p.id}>
      <header><h2>{p.title}</h2>{p.aside}</header>
      {p.children}
    </section>
  );
}

export function Field(p: { label: string; children: ReactNode; hint?: string }) {
  return (
    <label className="field" title={p.hint}>
      <span>{p.label}</span>
      {p.children}
    </label>
  );
}

/** What is wrong with a number field's text, or undefined. */
export function numberProblem(t: string, p: { min?: number; max?: number; integer?: boolean }): string | undefined {
  const v = Number(t);
  if (t.trim() === '' || !Number.isFinite(v)) return 'enter a number';
  if (p.integer && !Number.isInteger(v)) return 'must be a whole number';
  if (p.min !== undefined && v < p.min) return `must be at least ${p.min}`;
  if (p.max !== undefined && v > p.max) return `must be at most ${p.max}`;
  return undefined;
}

/** A number input that keeps the user's text while typing, commits only valid numbers (within bounds) and shows
 * what is wrong with an invalid one right under it (and tells `onError`, so Train can say why it waits). `problem`:
 * what the data or the device say about a committed value (a batch larger than the training images), shown the same
 * way. The message is tied to the input (aria-describedby, aria-invalid). */
export function NumberInput(p: { value: number; onChange: (v: number) => void; min?: number; max?: number; step?: number; integer?: boolean; disabled?: boolean; testId?: string; onError?: (problem: string | undefined) => void; label?: string; problem?: string }) {
  const id = useId();
  const [text, setText] = useState(String(p.value));
  const [problem, setProblem] = useState<string>();
  const report = (m: string | undefined) => { setProblem(m); p.onError?.(m); };
  // only when the value changes from outside (a preset, a continued run), not on every keystroke
  useEffect(() => { if (Number(text) !== p.value) { setText(String(p.value)); report(undefined); } }, [p.value]);
  useEffect(() => () => p.onError?.(undefined), []); // a field that disappears (another method) has no problem left
  // bounds that move (micro-batch ≤ batch size) re-check the text
  useEffect(() => { report(numberProblem(text, p)); }, [p.min, p.max]);
  const commit = (t: string) => {
    setText(t);
    const m = numberProblem(t, p);
    report(m);
    if (!m) p.onChange(Number(t));
  };
  const shown = problem ?? p.problem;
  return <>
    <input type="number" value={text} min={p.min} max={p.max} step={p.step ?? 'any'} disabled={p.disabled} data-testid={p.testId} aria-label={p.label}
      aria-invalid={shown ? true : undefined} aria-describedby={shown ? id : undefined} onChange={(e) => commit(e.target.value)} />
    {shown && <span className="field-error" id={id} role={problem ? 'alert' : undefined}>{shown}</span>}
  </>;
}

export function Select<T extends string>(p: { value: T; options: readonly { value: T; label: string; disabled?: boolean }[]; onChange: (v: T) => void; testId?: string; disabled?: boolean; label?: string }) {
  return (
    <select value={p.value} data-testid={p.testId} disabled={p.disabled} aria-label={p.label} onChange={(e) => { const o = p.options.find((x) => x.value === e.target.value); if (o) p.onChange(o.value); }}>
      {p.options.map((o) => <option key={o.value} value={o.value} disabled={o.disabled}>{o.label}</option>)}
    </select>
  );
}

export interface PickOptions { accept?: string; multiple?: boolean; directory?: boolean; testId: string; onFiles: (files: File[]) => void }

/** A file picker as a real button (keyboard reachable); the hidden input stays for the browser's dialog. */
export function FilePick(p: PickOptions & { children: ReactNode }) {
  const ref = useRef<HTMLInputElement | null>(null);
  return <>
    <button type="button" className="link" onClick={() => ref.current?.click()}>{p.children}</button>
    <input type="file" hidden tabIndex={-1} accept={p.accept} multiple={p.multiple} data-testid={p.testId}
      ref={(el) => { ref.current = el; if (el && p.directory) el.webkitdirectory = true; }}
      onChange={(e) => { const files = [...(e.target.files ?? [])]; e.target.value = ''; if (files.length) p.onFiles(files); }} />
  </>;
}

/** A drop zone that is also a keyboard target: focusable, named, and Enter / Space open the file picker. */
export function DropZone(p: PickOptions & { label: string; onDrop: (dt: DataTransfer) => void; children: ReactNode; pickLabel: string; className?: string }) {
  const [over, setOver] = useState(false);
  const ref = useRef<HTMLDivElement>(null);
  const openPicker = () => ref.current?.querySelector<HTMLButtonElement>('button.link')?.click();
  return (
    <div ref={ref} className={`drop ${over ? 'over' : ''} ${p.className ?? ''}`} tabIndex={0} role="group" aria-label={p.label}
      onKeyDown={(e) => { if ((e.key === 'Enter' || e.key === ' ') && e.target === e.currentTarget) { e.preventDefault(); openPicker(); } }}
      onDragOver={(e) => { e.preventDefault(); setOver(true); }} onDragLeave={() => setOver(false)}
      onDrop={(e) => { e.preventDefault(); setOver(false); p.onDrop(e.dataTransfer); }}>
      {p.children} <FilePick {...p}>{p.pickLabel}</FilePick>
    </div>
  );
}

/** Draws [3, L, L] planes (values in [0,1]) scaled up with crisp pixels. */
export function PlanesImage(p: { data: Float32Array; size: number; scale?: number; title?: string }) {
  const ref = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const ctx = ref.current?.getContext('2d');
    if (!ctx) return;
    ctx.putImageData(new ImageData(planesToRgba(p.data, p.size), p.size, p.size), 0, 0);
  }, [p.data, p.size]);
  const px = Math.max(64, Math.min(192, p.size * (p.scale ?? 4)));
  return <canvas ref={ref} width={p.size} height={p.size} title={p.title} className="pixels" style={{ width: px, height: px }} />;
}

/** An <img> for a Blob (object URL revoked on unmount). */
export function BlobImage(p: { blob: Blob; alt: string; size?: number }) {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    const u = URL.createObjectURL(p.blob);
    setUrl(u);
    return () => URL.revokeObjectURL(u);
  }, [p.blob]);
  return url ? <img src={url} alt={p.alt} title={p.alt} width={p.size ?? 40} height={p.size ?? 40} className="pixels" /> : null;
}

export function download(name: string, bytes: Uint8Array, mime: string): void {
  const copy = new Uint8Array(bytes.length);
  copy.set(bytes);
  const url = URL.createObjectURL(new Blob([copy.buffer], { type: mime }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
