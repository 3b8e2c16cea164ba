// Downloading a catalogue model in the browser: progress in bytes with rate and an ETA, a dropped connection
// resumed where it stopped (HTTP Range; a server that answers 200 instead restarts cleanly), mirrors tried in
// order, and the bytes checked against the entry's sha256 (or their sha256 returned, to be recorded and shown,
// where none is published). Pure apart from `fetch` and Web Crypto, so it runs in Node tests.
import { sha256Hex } from '../io/digest.ts';
export interface DownloadProgress {
  received: number;
  /** Bytes expected (content-length or the catalogue's size), when known. */
  total: number | undefined;
  /** Bytes per second over the download so far. */
  rate: number;
  /** Seconds left at that rate, when the total is known. */
  eta: number | undefined;
}

export interface DownloadOptions {
  fetch: (url: string, init?: RequestInit) => Promise<Response>;
  sha256?: string;
  sizeBytes?: number;
  onProgress?: (p: DownloadProgress) => void;
  /** Resumptions after a dropped connection, per URL. */
  retries?: number;
  now?: () => number;
}


function concat(chunks: Uint8Array[], n: number): Uint8Array {
  const out = new Uint8Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

/** One URL, resuming after dropped connections. */
async function fetchResuming(url: string, o: DownloadOptions): Promise<Uint8Array> {
  const now = o.now ?? (() => performance.now());
  const t0 = now();
  let chunks: Uint8Array[] = [], received = 0, total = o.sizeBytes, lastError = '';
  for (let attempt = 0; attempt <= (o.retries ?? 3); attempt++) {
    const res = await o.fetch(url, received > 0 ? { headers: { Range: `bytes=${received}-` } } : undefined);
    if (received > 0 && res.status === 200) { chunks = []; received = 0; } // no range support: start again
    else if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const len = Number(res.headers.get('content-length') ?? 0);
    if (len) total = res.status === 206 ? received + len : len;
    if (!res.body) { const b = new Uint8Array(await res.arrayBuffer()); chunks.push(b); received += b.length; return concat(chunks, received); }
    const reader = res.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return concat(chunks, received);
        chunks.push(value);
        received += value.length;
        const secs = Math.max(1e-3, (now() - t0) / 1000), rate = received / secs;
        o.onProgress?.({ received, total, rate, eta: total ? Math.max(0, (total - received) / rate) : undefined });
      }
    } catch (e) {
      lastError = e instanceof Error ? e.message : String(e); // dropped: resume from `received`
    }
  }
  throw new Error(`the connection dropped ${(o.retries ?? 3) + 1} times (${lastError})`);
}

/** The first URL that answers, resumed across dropped connections and checked against the expected sha256. */
export async function download(urls: string[], o: DownloadOptions): Promise<{ bytes: Uint8Array; sha256: string }> {
  const problems: string[] = [];
  for (const url of urls) {
    let bytes: Uint8Array;
    try {
      bytes = await fetchResuming(url, o);
    } catch (e) {
      problems.push(`${url}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const sha256 = await sha256Hex(bytes);
    if (o.sha256 && sha256 !== o.sha256.toLowerCase()) { problems.push(`${url}: sha256 ${sha256.slice(0, 12)}… is not the published ${o.sha256.slice(0, 12)}… (corrupt download or a changed file)`); continue; }
    if (o.sizeBytes && o.sha256 && bytes.length !== o.sizeBytes) { problems.push(`${url}: ${bytes.length} bytes, ${o.sizeBytes} expected`); continue; }
    return { bytes, sha256 };
  }
  throw new Error(`could not download the model (${problems.join('; ')})`);
}

/** "12.3 / 102.6 MB · 4.1 MB/s · 0:24 left" */
export function formatProgress(p: DownloadProgress): string {
  const mb = (b: number) => (b / 1e6).toFixed(1);
  const eta = p.eta === undefined ? '' : ` · ${Math.floor(p.eta / 60)}:${String(Math.round(p.eta % 60)).padStart(2, '0')} left`;
  return `${mb(p.received)}${p.total ? ` / ${mb(p.total)}` : ''} MB · ${mb(p.rate)} MB/s${eta}`;
}
