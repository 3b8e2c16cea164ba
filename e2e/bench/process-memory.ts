// Peak resident memory (VmHWM, Linux /proc) of the Chromium processes this script started — the renderer (page,
// training worker, onnxruntime-web's wasm heap and threads) and the GPU process (where WebGPU buffers live:
// SwiftShader keeps them in that process's memory) — the figure comparable with the Node benchmark's peak RSS.
// resetPeaks() before a configuration (clear_refs 5 resets VmHWM to the current RSS) makes a row's peak its own.
// Elsewhere than Linux every figure is undefined.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

export interface ProcessPeaks { rendererPeakMb: number | undefined; gpuPeakMb: number | undefined }

const read = (path: string): string | undefined => {
  try { return readFileSync(path, 'utf8'); } catch { return undefined; }
};

/** Chromium processes below this Node process, with their --type (renderer, gpu-process, utility, zygote…). */
function chromiumProcesses(): { pid: number; type: string }[] {
  const parent = new Map<number, number>();
  let entries: string[] = [];
  try { entries = readdirSync('/proc'); } catch { return []; }
  for (const d of entries) {
    const stat = /^\d+$/.test(d) ? read(`/proc/${d}/stat`) : undefined;
    // fields after "(comm)": state ppid …
    if (stat) parent.set(Number(d), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
  }
  const below = (pid: number): boolean => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return [...parent.keys()].filter(below).map((pid) => ({ pid, type: /--type=([\w-]+)/.exec(read(`/proc/${pid}/cmdline`)?.replaceAll('\0', ' ') ?? '')?.[1] ?? 'browser' }));
}

const watched = () => chromiumProcesses().filter((p) => p.type === 'renderer' || p.type === 'gpu-process');

export function resetPeaks(): void {
  for (const p of watched()) {
    try { writeFileSync(`/proc/${p.pid}/clear_refs`, '5'); } catch { /* not permitted: the peak covers the process's life */ }
  }
}

/** The largest renderer's peak (the studio's; a spare renderer is smaller) and the GPU process's peak, in MiB. */
export function readPeaks(): ProcessPeaks {
  const peak = (type: string) => {
    const kb = watched().filter((p) => p.type === type).map((p) => Number(/VmHWM:\s+(\d+) kB/.exec(read(`/proc/${p.pid}/status`) ?? '')?.[1] ?? NaN)).filter((x) => x > 0);
    return kb.length ? Math.round(Math.max(...kb) / 1024) : undefined;
  };
  return { rendererPeakMb: peak('renderer'), gpuPeakMb: peak('gpu-process') };
}
