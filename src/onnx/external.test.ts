// External data in the codec: a model written with its weights in data files (one file, or several) decodes to
// the same tensors, onnxruntime runs the split model through its `externalData` option and computes what the
// inline model computes, and every unconfined or out-of-bounds reference is refused in one line naming the tensor
// and the location, before anything is allocated.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../runtime/ort-node.ts';
import { decodeModel, encodeModel, encodeSplit } from './codec.ts';
import { filesResolver, locationProblem, type ExternalFile } from './external.ts';
import { Graph } from './ir.ts';
import { externalLocations } from './peek.ts';
import { fromNumbers } from './tensor.ts';

/** x [2, 8] → Gemm(W [16, 8], b [16]) → Relu → MatMul(V [16, 4]) → y, with a Constant node's tensor too. */
function model(): Graph {
  const g = new Graph();
  g.opsetImports = [{ domain: '', version: 17 }];
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [2, 8];
  g.inputs = [x];
  const vals = (k: number, seed: number) => Array.from({ length: k }, (_, i) => Math.sin(i * 0.7 + seed));
  const W = g.addInitializer('W', fromNumbers('float32', [16, 8], vals(128, 1)), true);
  const b = g.addInitializer('b', fromNumbers('float32', [16], vals(16, 2)), true);
  const V = g.addInitializer('V', fromNumbers('float32', [16, 4], vals(64, 3)), true);
  g.addNode('Gemm', [x, W, b], [g.value('h')], { transB: { type: 'int', value: 1 } });
  g.addNode('Relu', [g.value('h')], [g.value('r')]);
  g.addNode('Constant', [], [g.value('c')], { value: { type: 'tensor', value: fromNumbers('float32', [4], [1, 2, 3, 4]) } });
  g.addNode('MatMul', [g.value('r'), V], [g.value('m')]);
  g.addNode('Add', [g.value('m'), g.value('c')], [g.value('y')]);
  const y = g.value('y'); y.dtype = 'float32'; y.shape = [2, 4];
  g.outputs = [y];
  return g;
}

const x = fromNumbers('float32', [2, 8], Array.from({ length: 16 }, (_, i) => i / 8 - 1));

/** A ModelProto written by hand: graph { initializer W [2,3] float external(entries); input a; Add; output y }. */
function handTensorModel(entries: Record<string, string>): Uint8Array {
  const out: number[] = [];
  const varint = (buf: number[], v: number) => { while (v > 127) { buf.push((v & 127) | 128); v = Math.floor(v / 128); } buf.push(v); };
  const field = (buf: number[], id: number, bytes: number[] | Uint8Array) => { varint(buf, (id << 3) | 2); varint(buf, bytes.length); buf.push(...bytes); };
  const int = (buf: number[], id: number, v: number) => { varint(buf, id << 3); varint(buf, v); };
  const s = (t: string) => [...new TextEncoder().encode(t)];
  const tensor: number[] = [];
  int(tensor, 1, 2); int(tensor, 1, 3); int(tensor, 2, 1); field(tensor, 8, s('W'));
  for (const [k, v] of Object.entries(entries)) { const e: number[] = []; field(e, 1, s(k)); field(e, 2, s(v)); field(tensor, 13, e); }
  int(tensor, 14, 1);
  const vi = (name: string) => {
    const dims: number[] = [];
    for (const d of [2, 3]) { const dim: number[] = []; int(dim, 1, d); field(dims, 1, dim); }
    const tt: number[] = []; int(tt, 1, 1); field(tt, 2, dims);
    const type: number[] = []; field(type, 1, tt);
    const v: number[] = []; field(v, 1, s(name)); field(v, 2, type);
    return v;
  };
  const node: number[] = []; field(node, 1, s('a')); field(node, 1, s('W')); field(node, 2, s('y')); field(node, 4, s('Add'));
  const graph: number[] = []; field(graph, 1, node); field(graph, 2, s('g')); field(graph, 5, tensor); field(graph, 11, vi('a')); field(graph, 12, vi('y'));
  int(out, 1, 8); const op: number[] = []; int(op, 2, 17); field(out, 8, op); field(out, 7, graph);
  return Uint8Array.from(out);
}

describe('external data', () => {
  it('a split model decodes to the same tensors and onnxruntime runs it like the inline one', async () => {
    const g = model();
    const inline = encodeModel(g);
    for (const fileBytes of [2 ** 30, 600]) {
      const split = encodeSplit(g, { minBytes: 64, fileBytes, prefix: 'model.onnx_data' });
      expect(split.externalData.length).toBe(fileBytes === 600 ? 2 : 1);   // W (512 B) + V (256 B) in one file, or one each
      expect(split.model.length).toBeLessThan(inline.length - 600);
      expect(externalLocations(split.model).map((l) => l.location)).toEqual(split.externalData.map((f) => f.path));
      const back = decodeModel(split.model, { external: filesResolver(split.externalData) });
      expect(encodeModel(back)).toEqual(inline);
      const want = (await runGraph(inline, { x })).y.data as Float32Array;
      const got = (await runGraph(split, { x })).y.data as Float32Array;
      expect([...got]).toEqual([...want]);
    }
  });

  it('without its data files, names the tensor and the file', () => {
    const split = encodeSplit(model(), { minBytes: 64, prefix: 'model.onnx_data' });
    expect(() => decodeModel(split.model)).toThrow(/^tensor 'W' \(external data 'model\.onnx_data\.0\.bin'\): the model's data files were not given/);
    expect(() => decodeModel(split.model, { external: () => undefined })).toThrow("tensor 'W' (external data 'model.onnx_data.0.bin'): the data file 'model.onnx_data.0.bin' is missing (it must be beside the model)");
  });

  it('reads the key/values onnx writes, with and without length, at an offset', () => {
    const file = new Uint8Array(64);
    new Float32Array(file.buffer, 16, 6).set([1, 2, 3, 4, 5, 6]);
    const files: ExternalFile[] = [{ path: 'model.onnx_data', data: file }];
    for (const entries of [{ location: 'model.onnx_data', offset: '16', length: '24' } as Record<string, string>, { location: './model.onnx_data', offset: '16', length: '24', checksum: 'ignored' }]) {
      const g = decodeModel(handTensorModel(entries), { external: filesResolver(files) });
      expect([...(g.value('W').constant!.data as Float32Array)]).toEqual([1, 2, 3, 4, 5, 6]);
    }
    const tail = decodeModel(handTensorModel({ location: 'model.onnx_data', offset: '40' }), { external: filesResolver(files) });
    expect(tail.value('W').constant!.data).toHaveLength(6);
  });

  it('refuses locations outside the folder and slices outside the file, naming tensor and location', () => {
    const big = new Uint8Array(1 << 10);
    const external = () => big;
    const refuse = (entries: Record<string, string>) => {
      try { decodeModel(handTensorModel(entries), { external }); } catch (e) { return (e as Error).message; }
      return 'accepted';
    };
    expect(refuse({ location: '../x' })).toBe("tensor 'W' (external data '../x'): the location must be a file inside the model's folder, but it has a '..' segment");
    expect(refuse({ location: 'a/../../x' })).toMatch(/'\.\.' segment/);
    expect(refuse({ location: '/etc/passwd' })).toBe("tensor 'W' (external data '/etc/passwd'): the location must be a file inside the model's folder, but it is an absolute path");
    expect(refuse({ location: '..\\x' })).toMatch(/^tensor 'W' \(external data '\.\.\\x'\): .* backslash$/);
    expect(refuse({ location: 'C:/x' })).toMatch(/colon/);
    expect(refuse({ location: '.' })).toMatch(/names a folder/);
    expect(refuse({ location: 'd', offset: '1010', length: '24' })).toBe("tensor 'W' (external data 'd'): bytes 1010..1034 are past the end of the file (1024 bytes)");
    expect(refuse({ location: 'd', offset: '99999999999999999999', length: '24' })).toMatch(/offset '99999999999999999999' is not a byte count/);
    expect(refuse({ location: 'd', offset: '-8', length: '24' })).toMatch(/offset '-8' is not a byte count/);
    expect(refuse({ location: 'd', offset: '0', length: '20' })).toBe("tensor 'W' (external data 'd'): length 20 bytes, but the tensor's shape and type need 24");
    expect(refuse({ location: 'd', offset: '0', length: '1024' })).toMatch(/length 1024 bytes, but the tensor's shape and type need 24/);
    expect(refuse({ offset: '0' })).toBe("tensor 'W' uses external data but names no location");
    expect(refuse({ location: 'd', offset: '0', length: '24' })).toBe('accepted');
  });

  it('says which locations are confined', () => {
    for (const ok of ['model.onnx_data', 'weights/a.bin', './x', 'a b.bin']) expect(locationProblem(ok)).toBeUndefined();
    for (const bad of ['', '..', '../x', 'a/..', '/x', '\\\\server\\x', 'x:stream', 'a\u0000b', './']) expect(locationProblem(bad)).toBeDefined();
  });
});
