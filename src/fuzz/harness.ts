// What the fuzz tests and `npm run fuzz` hold every reader to: for any input, a valid result or a refusal of our
// own — a FileFormatError (src/io) or OnnxFormatError (src/onnx) whose message is one line — within a time bound.
// A TypeError, RangeError, any other error, a multi-line message or a slow input is a finding.
import { FileFormatError } from '../io/file-error.ts';
import { OnnxFormatError } from '../onnx/errors.ts';
import type fc from 'fast-check';
import { mutatedBytes, mutatedJson } from './mutate.ts';
import { mutatedOnnx } from './onnx-mutate.ts';

export interface FuzzTarget {
  /** The reader, as the report names it. */
  name: string;
  /** Valid inputs to mutate (bytes of a file, or JSON values for the JSON readers). */
  seeds(): Promise<{ kind: 'bytes'; values: Uint8Array[] } | { kind: 'json'; values: unknown[] }>;
  /** Mutations of its own (default: byte edits, or structural JSON edits for JSON seeds). */
  mutate?: 'onnx';
  /** Reads one input the way the tool reads the file. */
  read(bytes: Uint8Array): unknown;
  /** Longest a single input may take, in ms (default 2000). */
  timeLimitMs?: number;
}

export type Outcome =
  | { kind: 'ok'; ms: number }
  | { kind: 'refused'; ms: number; message: string }
  | { kind: 'finding'; ms: number; message: string };

/** Ours, and one line of at most 500 characters. */
export const isOwnRefusal = (e: unknown): e is Error =>
  (e instanceof FileFormatError || e instanceof OnnxFormatError) && !e.message.includes('\n') && e.message.length <= 500;

/** Runs one input through a target and classifies what happened. */
export async function attempt(t: FuzzTarget, bytes: Uint8Array): Promise<Outcome> {
  const t0 = performance.now();
  let outcome: Outcome;
  try {
    await t.read(bytes);
    outcome = { kind: 'ok', ms: 0 };
  } catch (e) {
    outcome = isOwnRefusal(e)
      ? { kind: 'refused', ms: 0, message: e.message }
      : { kind: 'finding', ms: 0, message: `${e instanceof Error ? `${e.constructor.name}: ${e.message.split('\n')[0]}` : String(e)}` };
  }
  outcome.ms = performance.now() - t0;
  const limit = t.timeLimitMs ?? 2000;
  if (outcome.kind !== 'finding' && outcome.ms > limit) return { kind: 'finding', ms: outcome.ms, message: `took ${outcome.ms.toFixed(0)} ms (limit ${limit} ms)` };
  return outcome;
}

/** The inputs a target is fuzzed with: mutations of its seeds. */
export async function inputsOf(t: FuzzTarget): Promise<fc.Arbitrary<Uint8Array>> {
  const seeds = await t.seeds();
  if (seeds.kind === 'json') return mutatedJson(seeds.values);
  return t.mutate === 'onnx' ? mutatedOnnx(seeds.values) : mutatedBytes(seeds.values);
}
