// The bounded JSON reader and the schema vocabulary: size and depth bounds before parsing, `__proto__` keys that
// pollute nothing, and one-line messages naming the file, the field path and what was expected.
import * as v from 'valibot';
import { describe, expect, it } from 'vitest';
import { FileFormatError } from './file-error.ts';
import { checkSchema, jsonDepth, parseJson, readJson } from './json.ts';
import { arr, int, obj, oneOf, opt, str } from './schema.ts';

const S = obj({ method: oneOf(['lorvp', 'pad'] as const), tensors: arr(obj({ shape: arr(int(), 'an array of integers') })), name: opt(str()) });
const fail = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(FileFormatError); return (e as Error).message; } throw new Error('no error'); };

describe('parseJson', () => {
  it('refuses text over the size bound before parsing', () => {
    expect(fail(() => parseJson('[' + ' '.repeat(2000) + ']', 'a.json', { maxBytes: 1024 }))).toBe('a.json: 2 KiB of JSON is over the 1 KiB limit');
  });
  it('refuses nesting deeper than the bound with a scan, whatever the depth', () => {
    const deep = '['.repeat(200_000) + ']'.repeat(200_000);
    expect(fail(() => parseJson(deep, 'config.json'))).toBe('config.json: JSON nested deeper than 64 levels');
    expect(parseJson('['.repeat(64) + ']'.repeat(64), 'x.json')).toBeInstanceOf(Array);
  });
  it('counts brackets inside strings as text, escapes included', () => {
    expect(jsonDepth('{"a":"[[[[\\"[[[","b":[1,{"c":2}]}')).toBe(3);
  });
  it('drops __proto__ keys at every level', () => {
    const o = parseJson('{"__proto__":{"polluted":1},"a":{"__proto__":{"x":1},"b":2}}', 'x.json') as Record<string, Record<string, unknown>>;
    expect(Object.keys(o)).toEqual(['a']);
    expect(Object.keys(o.a)).toEqual(['b']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf({ ...o.a })).toBe(Object.prototype);
  });
  it('says a file is not JSON or not UTF-8 in one line', () => {
    expect(fail(() => parseJson('{"a":', 'm.json'))).toMatch(/^m\.json: not valid JSON \(.+\)$/);
    expect(fail(() => parseJson(new Uint8Array([0x7b, 0xff, 0x7d]), 'm.json'))).toBe('m.json: not valid JSON (not UTF-8 text)');
  });
});

describe('checkSchema', () => {
  it('names the file, the field path and what was expected', () => {
    expect(fail(() => readJson(S, '[]', 'manifest.json'))).toBe('manifest.json: must be an object, got []');
    expect(fail(() => readJson(S, '{"method":"lorvp"}', 'manifest.json'))).toBe("manifest.json: field 'tensors' is missing");
    expect(fail(() => readJson(S, '{"method":"x","tensors":[]}', 'manifest.json'))).toBe("manifest.json: field 'method' must be one of lorvp, pad, got \"x\"");
    expect(fail(() => readJson(S, '{"method":"pad","tensors":[{"shape":"x"}]}', 'manifest.json'))).toBe("manifest.json: field 'tensors[0].shape' must be an array of integers, got \"x\"");
    expect(fail(() => readJson(S, '{"method":"pad","tensors":[{"shape":[1,2.5]}]}', 'manifest.json'))).toBe("manifest.json: field 'tensors[0].shape[1]' must be an integer, got 2.5");
  });
  it('keeps unknown fields and copies no __proto__', () => {
    const o = readJson(S, '{"method":"pad","tensors":[],"extra":{"deep":[1]},"__proto__":{"polluted":true}}', 'm.json') as Record<string, unknown>;
    expect(o.extra).toEqual({ deep: [1] });
    expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
  it('quotes odd keys and cuts long values in the message', () => {
    const R = v.record(v.string(), int());
    expect(fail(() => checkSchema(R, { 'a b': 'x'.repeat(100) }, 'f.json'))).toBe(`f.json: field '["a b"]' must be an integer, got "${'x'.repeat(38)}…`);
  });
});
