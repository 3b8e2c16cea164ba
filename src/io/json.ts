// JSON from outside, bounded and checked: a size and nesting bound by a cheap scan before JSON.parse (a config.json
// nested thousands deep would otherwise overflow the stack of whatever walks it), `__proto__` keys dropped while
// parsing, and a valibot schema whose first problem becomes one line naming the file, the field path and what
// was expected: `manifest.json: field 'settings.rank' must be an integer, got "4"`.
import * as v from 'valibot';
import { FileFormatError, bytesText, firstLine, preview } from './file-error.ts';

export interface JsonLimits {
  /** Largest text accepted, in bytes (UTF-16 code units for a string). Default 16 MiB. */
  maxBytes?: number;
  /** Deepest nesting of arrays and objects accepted. Default 64. */
  maxDepth?: number;
}

export const JSON_LIMITS: Readonly<Required<JsonLimits>> = Object.freeze({ maxBytes: 16 * 2 ** 20, maxDepth: 64 });

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** The deepest nesting of `[`/`{` outside strings (a linear scan; no parse). Stops counting past `limit`. */
export function jsonDepth(text: string, limit = Infinity): number {
  let depth = 0, max = 0, inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // backslash: skip the escaped character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) { if (++depth > max) { max = depth; if (max > limit) return max; } }
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

/** Drops `__proto__` keys (JSON.parse makes them own properties, but a later spread or Object.assign would set a
 * prototype with them). */
function reviver(this: unknown, key: string, value: unknown): unknown {
  return key === '__proto__' ? undefined : value;
}

/** Parses JSON text (or UTF-8 bytes) from `file` within the limits; throws FileFormatError naming the file. */
export function parseJson(input: string | Uint8Array, file: string, limits: JsonLimits = {}): unknown {
  const maxBytes = limits.maxBytes ?? JSON_LIMITS.maxBytes, maxDepth = limits.maxDepth ?? JSON_LIMITS.maxDepth;
  if (input.length > maxBytes) throw new FileFormatError(`${file}: ${bytesText(input.length)} of JSON is over the ${bytesText(maxBytes)} limit`);
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    try { text = utf8.decode(input); } catch { throw new FileFormatError(`${file}: not valid JSON (not UTF-8 text)`); }
  }
  if (jsonDepth(text, maxDepth) > maxDepth) throw new FileFormatError(`${file}: JSON nested deeper than ${maxDepth} levels`);
  try {
    return JSON.parse(text, reviver);
  } catch (e) {
    throw new FileFormatError(`${file}: not valid JSON (${firstLine(e)})`);
  }
}

/** `tensors[0].shape`: a valibot issue's path as it would be written in JavaScript. */
export function pathText(path: v.BaseIssue<unknown>['path']): string {
  let s = '';
  for (const p of path ?? []) {
    const k = p.key;
    if (typeof k === 'number') s += `[${k}]`;
    else if (typeof k === 'string' && /^[A-Za-z_$][\w$]*$/.test(k)) s += s ? `.${k}` : k;
    else s += `[${JSON.stringify(String(k))}]`;
  }
  return s;
}

/** The value checked against `schema` (unknown fields kept where the schema is loose); else FileFormatError
 * with one line for the first problem. Schema messages say what is expected ("an integer"); see schema.ts. */
export function checkSchema<S extends v.GenericSchema>(schema: S, value: unknown, file: string): v.InferOutput<S> {
  const r = v.safeParse(schema, value, { abortEarly: true });
  if (r.success) return r.output;
  const issue = r.issues[0];
  const where = pathText(issue.path);
  if (issue.input === undefined && where !== '') throw new FileFormatError(`${file}: field '${where}' is missing`);
  const expected = issue.message.startsWith('Invalid') ? (issue.expected ?? 'something else') : issue.message;
  throw new FileFormatError(`${file}: ${where ? `field '${where}' ` : ''}must be ${expected}, got ${preview(issue.input)}`);
}

/** parseJson then checkSchema. */
export function readJson<S extends v.GenericSchema>(schema: S, input: string | Uint8Array, file: string, limits?: JsonLimits): v.InferOutput<S> {
  return checkSchema(schema, parseJson(input, file, limits), file);
}
