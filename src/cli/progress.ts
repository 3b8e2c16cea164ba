// Progress display for long CLI work: a cli-progress bar with counts, loss and ETA on a terminal; plain
// periodic lines (for logs and CI) when stderr is not a terminal.
import cliProgress from 'cli-progress';

export interface Progress { update(done: number, info?: Record<string, string | number>): void; stop(): void }

/** A progress display whose total is only known once work starts (e.g. files found while scanning). */
export function lazyProgress(label: string): { update(done: number, info?: Record<string, string | number>, total?: number): void; stop(): void } {
  let p: Progress | undefined;
  return {
    update(done, info, total) { p ??= progress(label, total ?? done); p.update(done, info); },
    stop() { p?.stop(); },
  };
}

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      format: `${label} [{bar}] {value}/{total} {info} | ETA {eta_formatted}`,
      stream, hideCursor: true, etaBuffer: 20,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { info: '' });
    return {
      update: (done, info) => bar.update(done, { info: info ? Object.entries(info).map(([k, v]) => `${k} ${v}`).join(' ') : '' }),
      stop: () => bar.stop(),
    };
  }
  const t0 = Date.now();
  let last = 0;
  return {
    update(done, info) {
      const now = Date.now();
      if (done < total && now - last < 2000) return;
      last = now;
      const eta = done > 0 ? Math.round(((now - t0) / done) * (total - done) / 1000) : NaN;
      const extra = info ? ' ' + Object.entries(info).map(([k, v]) => `${k} ${v}`).join(' ') : '';
      stream.write(`${label} ${done}/${total}${extra} eta ${Number.isNaN(eta) ? '?' : eta + 's'}\n`);
    },
    stop() {},
  };
}
