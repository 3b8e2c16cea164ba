// Test helpers for the CLI: run `vp-studio` in this process capturing what it prints, and compare outputs.
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
