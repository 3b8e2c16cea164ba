// The studio against hostile files (store + real worker handler in Node): a truncated or oversized model, a hub
// folder with a 5000-deep config.json, a corrupted run import and an image claiming 100000×100000 pixels each end
// in one line of our own in the place the studio shows it, and nothing else is lost — the working backbone, the
// loaded data and the saved runs stay.
import { describe, expect, it } from 'vitest';
import protobuf from 'protobufjs';
import { encodePng } from '../data/test-images-node.ts';
import { writeSafetensors } from '../io/safetensors.ts';
import { sampleManifest } from '../io/schemas/test-samples.ts';
import descriptor from '../onnx/onnx.proto.json' with { type: 'json' };
import { memoryRepo } from '../persist/runs.ts';
import { ready, shapes, tinyVit, until } from './test-harness.ts';

const bytes = (s: string) => new TextEncoder().encode(s);
const ModelProto = protobuf.Root.fromJSON(descriptor as protobuf.INamespace).lookupType('onnx.ModelProto');

describe('hostile files in the studio', () => {
  it('one line each, nothing else lost', async () => {
    const repo = memoryRepo();
    const s = await ready(repo);
    const id = (await s.actions.start())!;
    await until(s, (x) => x.run.phase === 'done' && x.runs.some((r) => r.status === 'done'));
    const before = s.store.getState();
    const backbone = { sha256: before.backbone.sha256, name: before.backbone.name };

    // a truncated model: the working backbone stays, the error names what was wrong
    const vit = tinyVit();
    await s.actions.loadBackboneFiles([{ name: 'cut.onnx', bytes: vit.subarray(0, vit.length >> 1) }]);
    let b = s.store.getState().backbone;
    expect(b.error).toMatch(/^cannot use cut\.onnx: not a valid ONNX model \([^\n]+\)$/);
    expect({ sha256: b.sha256, name: b.name, status: b.status }).toEqual({ ...backbone, status: 'ready' });

    // an initializer claiming 10^10 values
    const m = ModelProto.toObject(ModelProto.decode(vit), { longs: Number, arrays: true }) as { graph: { initializer: { dims: number[] }[] } };
    m.graph.initializer[0].dims = [100_000, 100_000];
    await s.actions.loadBackboneFiles([{ name: 'huge.onnx', bytes: ModelProto.encode(ModelProto.fromObject(m)).finish() }]);
    expect(s.store.getState().backbone.error).toMatch(/^cannot use huge\.onnx: tensor '[^']+': shape \[100000,100000\] claims 10000000000 elements, over the limit of 4294967296 per tensor$/);

    // a hub folder whose config.json is nested 5000 deep
    await s.actions.loadBackboneFiles([{ name: 'model.onnx', bytes: vit }, { name: 'config.json', bytes: bytes('{"id2label":' + '['.repeat(5000) + ']'.repeat(5000) + '}') }]);
    b = s.store.getState().backbone;
    expect(b.error).toBe('cannot use model.onnx: config.json: JSON nested deeper than 64 levels');
    expect(b.sha256).toBe(backbone.sha256);

    // corrupted runs: a manifest of the wrong shape, a prompt.safetensors with a bad header
    const prompt = writeSafetensors({ 'head.bias': { dtype: 'float32', shape: [2], data: new Float32Array(2) } });
    await s.actions.importRun([{ name: 'prompt.safetensors', bytes: prompt }, { name: 'manifest.json', bytes: bytes('{"method":"lorvp"}') }]);
    expect(s.store.getState().notice).toBe("import failed: manifest.json: field 'format' is missing");
    await s.actions.importRun([{ name: 'prompt.safetensors', bytes: prompt }, { name: 'manifest.json', bytes: bytes(JSON.stringify({ ...sampleManifest(), settings: { ...sampleManifest().settings, rank: '4' }, __proto__: { x: 1 } })) }]);
    expect(s.store.getState().notice).toBe("import failed: manifest.json: field 'settings.rank' must be a positive integer, got \"4\"");
    const torn = prompt.slice(); new DataView(torn.buffer).setBigUint64(0, 2n ** 40n, true);
    await s.actions.importRun([{ name: 'prompt.safetensors', bytes: torn }, { name: 'manifest.json', bytes: bytes(JSON.stringify(sampleManifest())) }]);
    expect(s.store.getState().notice).toBe('import failed: prompt.safetensors: header length 1099511627776 is over the 100 MB limit (not a safetensors file?)');
    expect(s.store.getState().runs.map((r) => r.id)).toEqual([id]);

    // data with an image whose header claims 100000×100000 pixels: skipped with its reason, the rest loads
    const png = encodePng(8, 8, 2, 8, new Array(192).fill(128));
    new DataView(png.buffer, png.byteOffset).setUint32(16, 100_000); new DataView(png.buffer, png.byteOffset).setUint32(20, 100_000);
    await s.actions.loadFiles('shapes', [...shapes(), { path: 'shapes/train/a_circle/zz-huge.png', blob: new Blob([Uint8Array.from(png)]) }]);
    const data = s.store.getState().data;
    expect(data.status).toBe('ready');
    expect(data.summary?.skipped).toContainEqual({ path: 'shapes/train/a_circle/zz-huge.png', reason: 'PNG: 100000×100000 pixels is over the 100 megapixel limit' });
    expect(data.summary?.classes).toEqual(before.data.summary?.classes);
  });
});
