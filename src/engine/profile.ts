// onnxruntime's profiler output (the JSON trace a session writes with enableProfiling) summed per op type for the
// last `model_run` in it: what `vp-studio bench --profile` reports. Pure parsing; no onnxruntime import.

export interface OpTime { op: string; kernels: number; ms: number; share: number }
export interface RunProfile {
  runMs: number; kernelMs: number; byOp: OpTime[];
  /** The run's kernels' op types in the order they started. */
  sequence: string[];
}

interface TraceEvent { cat?: string; name?: string; ts?: number; dur?: number; args?: { op_name?: string } }

/** Per-op-type kernel time of the trace's last run, largest first. */
export function lastRunProfile(trace: unknown): RunProfile {
  if (!Array.isArray(trace)) throw new Error('not an onnxruntime profile: expected a JSON array of trace events');
  const ev = trace as TraceEvent[];
  const runs = ev.filter((e) => e.cat === 'Session' && e.name === 'model_run');
  const last = runs[runs.length - 1];
  if (!last || last.ts === undefined || last.dur === undefined) throw new Error('the profile has no model_run event');
  const end = last.ts + last.dur;
  const by = new Map<string, { kernels: number; us: number }>();
  const kernels = ev.filter((e) => e.cat === 'Node' && e.name?.endsWith('_kernel_time') && e.ts !== undefined && e.ts >= last.ts! && e.ts <= end).sort((a, b) => a.ts! - b.ts!);
  for (const e of kernels) {
    const op = e.args?.op_name ?? '?';
    const o = by.get(op) ?? { kernels: 0, us: 0 };
    o.kernels++; o.us += e.dur ?? 0;
    by.set(op, o);
  }
  const total = [...by.values()].reduce((a, o) => a + o.us, 0);
  const byOp = [...by].map(([op, o]) => ({ op, kernels: o.kernels, ms: o.us / 1000, share: total ? o.us / total : 0 })).sort((a, b) => b.ms - a.ms);
  return { runMs: last.dur / 1000, kernelMs: total / 1000, byOp, sequence: kernels.map((e) => e.args?.op_name ?? '?') };
}
