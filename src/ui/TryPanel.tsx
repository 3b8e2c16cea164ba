// "Try it": classify a dropped image or a webcam frame with the viewed run (its deployable model, in the worker),
// showing what the backbone sees (the resized input) and the top classes.
import { useEffect, useRef, useState } from 'react';
import { useActions, useStudio } from '../store/hooks.ts';
import { fmtPct } from './format.ts';
import { DropZone, Panel, PlanesImage } from './widgets.tsx';

function Webcam(p: { onFrame: (b: Blob) => void; onError: (message: string) => void }) {
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream>();
  useEffect(() => () => stream?.getTracks().forEach((t) => t.stop()), [stream]);
  const start = async () => {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: true });
      setStream(s);
      if (video.current) { video.current.srcObject = s; await video.current.play(); }
    } catch (e) { p.onError(`the webcam: ${e instanceof Error ? e.message : String(e)}`); }
  };
  const snap = () => {
    const v = video.current;
    if (!v || !v.videoWidth) return;
    const c = document.createElement('canvas');
    c.width = v.videoWidth; c.height = v.videoHeight;
    c.getContext('2d')?.drawImage(v, 0, 0);
    c.toBlob((b) => { if (b) p.onFrame(b); }, 'image/png');
  };
  return (
    <div className="webcam">
      <video ref={video} muted playsInline width={160} hidden={!stream} />
      {stream ? <button onClick={snap}>Classify this frame</button> : <button onClick={() => void start()}>Use the webcam</button>}
    </div>
  );
}

export function TryPanel() {
  const view = useStudio((s) => s.view);
  const t = useStudio((s) => s.tryit);
  const a = useActions();
  if (!view) return null;
  const classes = view.record.classes;
  const top = t.probabilities.map((p, i) => ({ p, i })).sort((x, y) => y.p - x.p).slice(0, 5);
  const onDrop = (dt: DataTransfer) => {
    const f = [...dt.files].find((x) => x.type.startsWith('image/')) ?? dt.files[0];
    if (f) void a.tryImage(f, f.name);
  };
  return (
    <Panel title="Try it">
      <div className="tryit">
        <DropZone label="try-it drop zone: drop an image, or press Enter to choose one" accept="image/*" testId="try-input" pickLabel="choose one"
          onDrop={onDrop} onFiles={(f) => void a.tryImage(f[0], f[0].name)}>
          Drop an image, or
        </DropZone>
        <Webcam onFrame={(b) => void a.tryImage(b, 'the webcam frame')} onError={(m) => a.tryError(m)} />
        {t.status === 'busy' && <span className="muted">classifying…</span>}
        {t.status === 'error' && <span className="error" role="alert" data-testid="try-error">{t.error}</span>}
        {t.status === 'ready' && t.preview && (
          <div className="tryresult" data-testid="try-result">
            <PlanesImage data={t.preview.data} size={t.preview.size} title="what the backbone sees (before the prompt)" />
            <table className="bars">
              <tbody>{top.map(({ p, i }) => <tr key={i}><td>{classes[i]}</td><td><span className="bar" style={{ width: `${Math.round(100 * p)}%` }} /></td><td>{fmtPct(p)}</td></tr>)}</tbody>
            </table>
          </div>
        )}
      </div>
    </Panel>
  );
}
