// Test helpers for the CLI: run `vp-studio` in this process capturing what it prints, and compare outputs.
import { decodeModel } from '../onnx/codec.ts';
import type { Graph } from '../onnx/ir.ts';
import { createSession, runSession } from '../runtime/ort-node.ts';
import { main } from './main.ts';

/** Runs the CLI in this process; returns its exit code and what it wrote to stdout / stderr. */
export async function runCli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const o = process.stdout.write.bind(process.stdout), e = process.stderr.write.bind(process.stderr);
  process.stdout.write = ((s: string) => { out += s; return true }) as typeof process.stdout.write;
  process.stderr.write = ((s: string) => { err += s; return true }) as typeof process.stderr.write;
  const log = console.log;
  console.log = (...a: unknown[]) => { out += a.join(' ') + '\n'; };
  try {
    return { code: await main(args), out, err };
  } finally {
    process.stdout.write = o; process.stderr.write = e; console.log = log;
  }
}

/** max |a − b| / max |b|. */
export const relErr = (a: Float32Array, b: Float32Array): number => {
  let d = 0, m = 0;
  for (let i = 0; i < a.length; i++) { d = Math.max(d, Math.abs(a[i] - b[i])); m = Math.max(m, Math.abs(b[i])); }
  return d / m;
};

/** A fixed-batch-1 file re-batched to 3 (`g3`) against the file run on each row alone: the worst row's relErr. */
export async function rebatchedRowsError(raw: Uint8Array, g3: Graph): Promise<number> {
  const per = 3 * 224 * 224;
  const x = new Float32Array(3 * per).map((_, i) => Math.sin(i * 0.37) * 0.8);
  const s3 = await createSession(g3), s1 = await createSession(decodeModel(raw));
  try {
    const inName = g3.inputs[0].name;
    const y3 = (await runSession(s3, { [inName]: { dtype: 'float32', shape: [3, 3, 224, 224], data: x } }))[g3.outputs[0].name].data as Float32Array;
    const K = y3.length / 3;
    let worst = 0;
    for (let i = 0; i < 3; i++) {
      const y1 = await runSession(s1, { [inName]: { dtype: 'float32', shape: [1, 3, 224, 224], data: x.slice(i * per, (i + 1) * per) } });
      worst = Math.max(worst, relErr(y3.slice(i * K, (i + 1) * K), Object.values(y1)[0].data as Float32Array));
    }
    return worst;
  } finally {
    await s3.release(); await s1.release();
  }
}
