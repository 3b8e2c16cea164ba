// The malformed and hostile files of issue 19 through the real `vp-studio` bin: each ends in one line of the
// tool's own words ("vp-studio: …" naming the file), a non-zero exit, in seconds and under 1 GiB of peak RSS
// (measured by /usr/bin/time) — never a JavaScript internal such as "Cannot read properties of undefined".
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import descriptor from '../onnx/onnx.proto.json' with { type: 'json' };
import { writeSafetensors } from '../io/safetensors.ts';
import { sampleCheckpoint, sampleManifest } from '../io/schemas/test-samples.ts';

const REPO = join(import.meta.dirname, '../..');
const BIN = join(REPO, 'bin/vp-studio.mjs');
const MODEL = join(REPO, 'tests/fixtures/train/backbones/resnet.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'vp-hostile-'));
const model = new Uint8Array(readFileSync(MODEL));

/** Runs the bin under /usr/bin/time: exit code, stderr without time's line, seconds, peak RSS in MiB. */
function cli(...args: string[]) {
  const t0 = Date.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'maxrss %M', process.execPath, BIN, ...args], { cwd: tmp, encoding: 'utf8' });
  const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('Command exited with')), rss = Number(/maxrss (\d+)/.exec(lines.pop() ?? '')?.[1] ?? NaN) / 1024;
  return { code: r.status, stderr: lines.join('\n'), seconds: (Date.now() - t0) / 1000, rss };
}

function file(path: string, content: string | Uint8Array): string {
  const p = join(tmp, path);
  mkdirSync(join(p, '..'), { recursive: true });
  writeFileSync(p, content);
  return p;
}

/** One line of our own, non-zero, in seconds, under 1 GiB. */
function expectRefusal(r: ReturnType<typeof cli>, pattern: RegExp): void {
  expect(r.stderr).toMatch(/^vp-studio: [^\n]+$/);
  expect(r.stderr).not.toMatch(/Cannot read|undefined|TypeError|RangeError|Maximum call stack|is not a function/);
  expect(r.stderr).toMatch(pattern);
  expect(r.code).toBe(1);
  expect(r.seconds).toBeLessThan(20);
  expect(r.rss).toBeLessThan(1024);
  console.log(`${r.seconds.toFixed(1)} s, ${r.rss.toFixed(0)} MiB peak: ${r.stderr}`);
}

const ModelProto = protobuf.Root.fromJSON(descriptor as protobuf.INamespace).lookupType('onnx.ModelProto');

describe('hostile run files (vp-studio predict --run)', () => {
  it.each([
    ['[]', /manifest\.json: must be an object, got \[\]$/],
    ['{"method":"lorvp"}', /manifest\.json: field 'format' is missing$/],
    [JSON.stringify({ ...sampleManifest(), classes: [1, 2] }), /manifest\.json: field 'classes\[0\]' must be a string, got 1$/],
    [JSON.stringify({ ...sampleManifest(), preprocessing: { inputSize: 'big' } }), /manifest\.json: field 'preprocessing\.inputSize' must be a positive integer, got "big"$/],
    ['{"__proto__":{"format":"vp-studio-run/1","classes":["a"]},"constructor":{"prototype":{"x":1}}}', /manifest\.json: field 'format' is missing$/],
    ['{"a":' + '['.repeat(10000) + ']'.repeat(10000) + '}', /manifest\.json: JSON nested deeper than 64 levels$/],
  ])('manifest %# is refused in one line', (manifest, pattern) => {
    const name = `run-${Math.random().toString(36).slice(2)}`;
    file(join(name, 'manifest.json'), manifest);
    expectRefusal(cli('predict', '--run', join(tmp, name), 'x.png'), pattern);
  });
});

describe('hostile models and hub metadata (vp-studio inspect)', () => {
  it('a config.json nested 5000 deep', () => {
    copyFileSync(MODEL, file('hub/model.onnx', ''));
    file('hub/config.json', '{"id2label":' + '['.repeat(5000) + ']'.repeat(5000) + '}');
    expectRefusal(cli('inspect', join(tmp, 'hub')), /hub\/config\.json: JSON nested deeper than 64 levels$/);
  });
  it('a preprocessor_config.json of the wrong types', () => {
    copyFileSync(MODEL, file('hub2/model.onnx', ''));
    file('hub2/preprocessor_config.json', '{"image_mean":"imagenet"}');
    expectRefusal(cli('inspect', join(tmp, 'hub2')), /hub2\/preprocessor_config\.json: field 'image_mean' must be a number or 3 numbers, got "imagenet"$/);
  });
  it.each([
    ['truncated', model.subarray(0, model.length >> 1), /not a valid ONNX model/],
    ['bit-flipped', Uint8Array.from(model, (b, i) => (i === 0 ? b ^ 0x07 : b)), /not a valid ONNX model/],
    ['empty', new Uint8Array(0), /not a valid ONNX model/],
    ['initializer claiming 10^10 values', (() => {
      const m = ModelProto.toObject(ModelProto.decode(model), { longs: Number, arrays: true }) as { graph: { initializer: { dims: number[] }[] } };
      m.graph.initializer[0].dims = [100_000, 100_000];
      return ModelProto.encode(ModelProto.fromObject(m)).finish();
    })(), /claims 10000000000 elements, over the limit/],
  ])('a %s model', (name, bytes, pattern) => {
    expectRefusal(cli('inspect', file(`${name.replace(/\W/g, '')}.onnx`, bytes)), pattern);
  });
});

describe('hostile tensors', () => {
  it('a .npy claiming 3.8 TB (vp-studio grad)', () => {
    const h = "{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }\n";
    const npy = new Uint8Array(10 + h.length);
    npy.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, 1, 0, h.length, 0]);
    npy.set(new TextEncoder().encode(h), 10);
    const x = file('huge.npy', npy);
    expectRefusal(cli('grad', MODEL, '--input', x, '--cotangent', x, '--out', join(tmp, 'g.npy')), /--input .*huge\.npy: npy: shape \[1000000, 1000000\] claims 4000000000000 bytes, over the 4 GiB limit$/);
  });
  it('a checkpoint.safetensors with a bad header and a malformed checkpoint.json (vp-studio train --resume)', () => {
    const bad = writeSafetensors({ a: { dtype: 'float32', shape: [1], data: new Float32Array(1) } });
    new DataView(bad.buffer).setBigUint64(0, 2n ** 62n, true);
    file('ck1/checkpoint.json', JSON.stringify(sampleCheckpoint()));
    file('ck1/checkpoint.safetensors', bad);
    expectRefusal(cli('train', '--resume', join(tmp, 'ck1')), /ck1\/checkpoint\.safetensors: header length \d+ is over the 100 MB limit/);
    file('ck2/checkpoint.json', JSON.stringify({ ...sampleCheckpoint(), rngState: 'abc' }));
    file('ck2/checkpoint.safetensors', writeSafetensors({ a: { dtype: 'float32', shape: [1], data: new Float32Array(1) } }));
    expectRefusal(cli('train', '--resume', join(tmp, 'ck2')), /ck2\/checkpoint\.json: field 'rngState' must be an array of 4 integers, got "abc"$/);
  });
});
