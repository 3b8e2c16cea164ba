// What the fuzzer found, kept: inputs (src/fuzz/regressions/<reader>-<n>.bin) that made a reader throw a JavaScript
// internal before issue 19 — found by running these mutations against the readers of 02be783 — each answered now
// by one line of our own. New findings of `npm run fuzz` (saved under tmp/fuzz-findings/) join this list.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { attempt } from './harness.ts';
import { TARGETS } from './targets.ts';

const CASES: [file: string, reader: string, before: string, now: string][] = [
  ['onnx-codec-structural-0.bin', 'onnx codec (structural)', "TypeError: Cannot read properties of undefined (reading 'name')", 'not a valid ONNX model (a tensor attribute holds no tensor)'],
  ['config-json-0.bin', 'config.json', 'TypeError: Cannot convert object to primitive value (an id2label value with toString: null)', "config.json: field 'id2label[\"2\"]' must be a class name, got {"],
  ['manifest-json-1.bin', 'manifest.json', "TypeError: Cannot read properties of undefined (reading 'method')", "manifest.json: field 'settings' is missing"],
  ['manifest-json-5.bin', 'manifest.json', 'TypeError: m.classes.join is not a function', "manifest.json: field 'classes' must be an array of class names, got {"],
  ['manifest-json-8.bin', 'manifest.json', "TypeError: Cannot read properties of null (reading 'backbone')", 'manifest.json: must be an object, got null'],
];

describe('fuzz findings, kept as regressions', () => {
  it.each(CASES)('%s (%s; was %s)', async (file, reader, _before, now) => {
    const t = TARGETS.find((x) => x.name === reader)!;
    const r = await attempt(t, new Uint8Array(readFileSync(join(import.meta.dirname, 'regressions', file))));
    expect(r.kind).toBe('refused');
    expect(r.kind === 'refused' && r.message.startsWith(now)).toBe(true);
  });
});
