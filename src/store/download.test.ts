// Downloads resume after a dropped connection, restart when the server ignores Range, report bytes/rate/ETA and
// are checked against the published sha256.
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../io/digest.ts';
import { download, formatProgress, type DownloadProgress } from './download.ts';

const file = new Uint8Array(10_000).map((_, i) => (i * 7919) % 251);

/** A server that serves `file` in 1 kB chunks; the first response drops after `dropAt` bytes. */
function server(o: { dropAt?: number; ranges?: boolean }) {
  const seen: (string | null)[] = [];
  let first = true;
  const fetch = async (_url: string, init?: RequestInit) => {
    const range = (init?.headers as Record<string, string> | undefined)?.Range ?? null;
    seen.push(range);
    const from = range && o.ranges !== false ? Number(/bytes=(\d+)-/.exec(range)![1]) : 0;
    const drop = first ? o.dropAt : undefined;
    first = false;
    let pos = from;
    const body = new ReadableStream<Uint8Array>({
      pull(c) {
        if (drop !== undefined && pos >= drop) { c.error(new Error('network error')); return; }
        if (pos >= file.length) { c.close(); return; }
        c.enqueue(file.slice(pos, pos + 1000)); pos += 1000;
      },
    });
    return new Response(body, { status: from ? 206 : 200, headers: { 'content-length': String(file.length - from) } });
  };
  return { fetch, seen };
}

describe('download', () => {
  it('resumes a dropped connection with a Range request and checks the sha256', async () => {
    const s = server({ dropAt: 4000 });
    const progress: DownloadProgress[] = [];
    let t = 0;
    const r = await download(['https://x/m.onnx'], { fetch: s.fetch, sha256: await sha256Hex(file), sizeBytes: file.length, onProgress: (p) => progress.push(p), now: () => (t += 100) });
    expect(r.bytes).toEqual(file);
    expect(s.seen).toEqual([null, 'bytes=4000-']);
    const last = progress[progress.length - 1];
    expect(last).toMatchObject({ received: 10_000, total: 10_000, eta: 0 });
    expect(progress[2].eta).toBeGreaterThan(0);
    expect(formatProgress({ received: 12.3e6, total: 102.6e6, rate: 4.1e6, eta: 24 })).toBe('12.3 / 102.6 MB · 4.1 MB/s · 0:24 left');
  });

  it('restarts cleanly when the server answers a Range request with the whole file', async () => {
    const s = server({ dropAt: 3000, ranges: false });
    const r = await download(['https://x/m.onnx'], { fetch: s.fetch });
    expect(r.bytes).toEqual(file);
    expect(r.sha256).toBe(await sha256Hex(file));
  });

  it('refuses bytes whose sha256 is not the published one and tries the next mirror', async () => {
    const good = server({});
    const bad = async () => new Response(new Uint8Array([1, 2, 3]), { status: 200 });
    const urls = ['https://bad/m.onnx', 'https://good/m.onnx'];
    const r = await download(urls, { fetch: (u, i) => (u.includes('bad') ? bad() : good.fetch(u, i)), sha256: await sha256Hex(file) });
    expect(r.bytes).toEqual(file);
    await expect(download(['https://bad/m.onnx'], { fetch: bad, sha256: await sha256Hex(file) })).rejects.toThrow(/sha256 .* is not the published/);
  });
});
