// A hub model's config.json and preprocessor_config.json: what HF writes is read; wrong types, huge class indices
// and deep nesting are refused in one line naming the file and field.
import { describe, expect, it } from 'vitest';
import { parseModelMeta } from '../../engine/model-meta.ts';
import { FileFormatError } from '../file-error.ts';
import { sampleConfig, samplePreprocessor } from './test-samples.ts';

const fail = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(FileFormatError); return (e as Error).message; } throw new Error('no error'); };
const text = (o: unknown) => JSON.stringify(o);

describe('config.json and preprocessor_config.json', () => {
  it('reads the files as HF writes them', () => {
    const m = parseModelMeta({ config: text(sampleConfig()), preprocessor: text(samplePreprocessor()) });
    expect(m).toMatchObject({ labels: ['tench', 'goldfish', 'shark'], mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], size: 224 });
  });
  it.each([
    [{ config: '['.repeat(5000) + ']'.repeat(5000) }, 'config.json: JSON nested deeper than 64 levels'],
    [{ config: text({ id2label: { x: 'cat' } }) }, "config.json: field 'id2label' must be an object whose keys are class indices under 100000, got {\"x\":\"cat\"}"],
    [{ config: text({ id2label: { 1000000000: 'cat' } }) }, "config.json: field 'id2label' must be an object whose keys are class indices under 100000, got {\"1000000000\":\"cat\"}"],
    [{ config: text({ id2label: { 0: { name: 'cat' } } }) }, "config.json: field 'id2label[\"0\"]' must be a class name, got {\"name\":\"cat\"}"],
    [{ config: '"just text"' }, 'config.json: must be an object, got "just text"'],
    [{ preprocessor: text({ image_mean: [0.5, 0.5] }) }, "preprocessor_config.json: field 'image_mean' must be a number or 3 numbers, got [0.5,0.5]"],
    [{ preprocessor: text({ size: { height: '224' } }) }, "preprocessor_config.json: field 'size' must be a positive integer or {height, width} or {shortest_edge}, got {\"height\":\"224\"}"],
    [{ preprocessor: text({ do_normalize: 'yes' }) }, "preprocessor_config.json: field 'do_normalize' must be true or false, got \"yes\""],
  ])('refuses malformed metadata in one line (%#)', (files, message) => {
    expect(fail(() => parseModelMeta(files))).toBe(message);
  });
});
