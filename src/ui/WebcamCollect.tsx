// Collect a class from the webcam (as Teachable Machine does): name the class, start the camera, hold the record
// button (mouse, touch, or Space / Enter held) to grab a frame at once and then every 200 ms; the frames join the
// loaded data as that class (saved with the project's data in IndexedDB) and can be removed one by one. The record
// button waits for the camera's first frame, and releasing it waits for every frame still being encoded (a slow
// machine's PNG encoder can take longer than the hold itself), so a hold never yields nothing. The button captures
// the pointer while held: a finger that drifts, or the page's layout shifting under a still mouse, does not end it.
import { useEffect, useRef, useState } from 'react';
import { useActions, useStudio } from '../store/hooks.ts';
import { BlobImage } from './widgets.tsx';

const EVERY_MS = 200;

export function WebcamCollect() {
  const frames = useStudio((s) => s.webcam);
  const a = useActions();
  const video = useRef<HTMLVideoElement>(null);
  const [stream, setStream] = useState<MediaStream>();
  const [cls, setCls] = useState('');
  const [error, setError] = useState<string>();
  const [recording, setRecording] = useState(false);
  const [ready, setReady] = useState(false);
  const grabbed = useRef<Promise<Blob | null>[]>([]);
  useEffect(() => () => stream?.getTracks().forEach((t) => t.stop()), [stream]);
  useEffect(() => {
    if (!recording) return;
    const grab = () => {
      const v = video.current;
      if (!v || !v.videoWidth) return;
      const c = document.createElement('canvas');
      c.width = v.videoWidth; c.height = v.videoHeight;
      c.getContext('2d')?.drawImage(v, 0, 0);
      grabbed.current.push(new Promise((done) => c.toBlob(done, 'image/png')));
    };
    grab();
    const id = setInterval(grab, EVERY_MS);
    return () => clearInterval(id);
  }, [recording]);
  const start = async () => {
    try {
      const s = await navigator.mediaDevices.getUserMedia({ video: true });
      setStream(s); setError(undefined); setReady(false);
      const v = video.current;
      if (v) {
        v.srcObject = s;
        v.onloadeddata = () => setReady(v.videoWidth > 0);
        await v.play();
        if (v.videoWidth > 0) setReady(true);
      }
    } catch (e) { setError(`the webcam: ${e instanceof Error ? e.message : String(e)}`); }
  };
  const begin = () => { if (!cls.trim()) { setError('name the class first'); return; } grabbed.current = []; setRecording(true); };
  const end = () => {
    if (!recording) return;
    setRecording(false);
    const pending = grabbed.current;
    grabbed.current = [];
    void Promise.all(pending).then((bs) => {
      const b = bs.filter((x): x is Blob => x !== null);
      if (b.length) void a.addWebcamFrames(cls, b);
    });
  };
  const classes = [...new Set(frames.map((f) => f.cls))];
  return (
    <details className="webcam-collect" data-testid="webcam-collect">
      <summary>Collect a class from the webcam{frames.length ? ` (${frames.length} frames)` : ''}</summary>
      <div className="row">
        <label className="field"><span>class name</span><input value={cls} onChange={(e) => setCls(e.target.value)} data-testid="webcam-class" /></label>
        {!stream && <button onClick={() => void start()} data-testid="webcam-start">Start the camera</button>}
      </div>
      <video ref={video} muted playsInline width={160} hidden={!stream} />
      {stream && (
        <button className={recording ? 'primary' : ''} data-testid="webcam-record" aria-pressed={recording} disabled={!ready}
          onPointerDown={(e) => { e.currentTarget.setPointerCapture(e.pointerId); begin(); }} onPointerUp={end} onPointerCancel={end} onLostPointerCapture={end}
          onKeyDown={(e) => { if ((e.key === ' ' || e.key === 'Enter') && !e.repeat) { e.preventDefault(); begin(); } }}
          onKeyUp={(e) => { if (e.key === ' ' || e.key === 'Enter') { e.preventDefault(); end(); } }}>
          {!ready ? 'Starting the camera…' : recording ? 'Recording…' : 'Hold to record'}
        </button>
      )}
      {error && <div className="error" role="alert">{error}</div>}
      {classes.map((c) => (
        <div key={c} className="webcam-class">
          <b>{c}</b> <span className="muted">{frames.filter((f) => f.cls === c).length} frames</span>
          <div className="thumbs">
            {frames.filter((f) => f.cls === c).map((f) => (
              <span key={f.id} className="frame">
                <BlobImage blob={f.blob} alt={`${c} frame`} size={40} />
                <button className="link" aria-label={`remove this ${c} frame`} onClick={() => void a.removeWebcamFrame(f.id)}>×</button>
              </span>
            ))}
          </div>
        </div>
      ))}
    </details>
  );
}
