// The catalogue's schema: models/catalog.json and models/starters.json as committed satisfy it (so an entry with a
// mistyped field fails here, not in a user's studio), and a malformed entry is named in one line.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileFormatError } from '../file-error.ts';
import { readCatalogJson } from './catalog.ts';

const MODELS = join(import.meta.dirname, '../../../models');
const fail = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(FileFormatError); return (e as Error).message; } throw new Error('no error'); };

describe('catalog.json and starters.json', () => {
  it.each(['catalog.json', 'starters.json'])('models/%s satisfies the schema', (f) => {
    expect(() => readCatalogJson(readFileSync(join(MODELS, f)), `models/${f}`)).not.toThrow();
  });
  it.each([
    ['{"backbones":[{"id":"x","url":"a.onnx"},{"id":"y","sha256":"zz"}]}', "catalog.json: field 'backbones[1].sha256' must be a hex sha256, got \"zz\""],
    ['{"backbones":[{"id":"x","mean":[1,2]}]}', "catalog.json: field 'backbones[0].mean' must be 3 numbers, got [1,2]"],
    ['{"backbones":[{"dataFiles":[{"url":"d","sizeBytes":-1}]}]}', "catalog.json: field 'backbones[0].dataFiles[0]' must be a URL or {url, path?, sha256?, sizeBytes?}, got {\"url\":\"d\",\"sizeBytes\":-1}"],
    ['[{"url":5}]', "catalog.json: field '[0].url' must be a string, got 5"],
    ['{"backbones":{}}', "catalog.json: field 'backbones' must be an array of catalogue entries, got {}"],
  ])('refuses %s in one line', (text, message) => {
    expect(fail(() => readCatalogJson(text, 'catalog.json'))).toBe(message);
  });
});
