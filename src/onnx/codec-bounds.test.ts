// The ONNX codec against hostile protobufs: a tensor's declared shape is checked (non-negative integers, at most
// 2^32 elements, raw data holding numel × element size) before anything is allocated, a tensor attribute without
// a tensor, nameless values and the IR's own refusals all end in one OnnxFormatError line.
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import descriptor from './onnx.proto.json' with { type: 'json' };
import { decodeModel, encodeModel } from './codec.ts';
import { OnnxFormatError } from './errors.ts';
import { Graph } from './ir.ts';
import { externalLocations, outputNames } from './peek.ts';
import { loadBackbone } from './backbone.ts';

const ModelProto = protobuf.Root.fromJSON(descriptor as protobuf.INamespace).lookupType('onnx.ModelProto');
/* eslint-disable @typescript-eslint/no-explicit-any -- edits of the raw protobuf message */
type Msg = any;

function model(): Uint8Array {
  const g = new Graph();
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [1, 4];
  g.inputs.push(x);
  const w = g.addInitializer('w', { dtype: 'float32', shape: [4], data: new Float32Array(4).fill(1) }, true);
  const y = g.value('y'); y.dtype = 'float32'; y.shape = [1, 4];
  g.addNode('Add', [x, w], [y], {}, { name: 'add' });
  g.outputs.push(y);
  return encodeModel(g);
}

/** The test model with its message edited. */
function edited(f: (m: Msg) => void): Uint8Array {
  const m = ModelProto.toObject(ModelProto.decode(model()), { longs: Number, arrays: true }) as Msg;
  f(m);
  return ModelProto.encode(ModelProto.fromObject(m)).finish();
}

const fail = (b: Uint8Array) => { try { decodeModel(b); } catch (e) { expect(e).toBeInstanceOf(OnnxFormatError); return (e as Error).message; } throw new Error('decoded'); };

describe('ONNX codec bounds', () => {
  it('refuses an initializer claiming 10^10 values before allocating', () => {
    const rss = process.memoryUsage().rss;
    expect(fail(edited((m) => { m.graph.initializer[0].dims = [100_000, 100_000]; }))).toBe("tensor 'w': shape [100000,100000] claims 10000000000 elements, over the limit of 4294967296 per tensor");
    expect(fail(edited((m) => { m.graph.initializer[0].dims = [50_000, 50_000]; }))).toBe("tensor 'w': raw data holds 16 bytes, 10000000000 expected for shape [50000,50000] (truncated file?)");
    expect(process.memoryUsage().rss - rss).toBeLessThan(256 * 2 ** 20);
  });
  it('refuses negative dims, unknown element types and typed values that do not fill the shape', () => {
    expect(fail(edited((m) => { m.graph.initializer[0].dims = [-4]; }))).toBe("tensor 'w': bad shape [-4]");
    expect(fail(edited((m) => { m.graph.initializer[0].dataType = 99; }))).toBe("tensor 'w': unsupported ONNX tensor element type 99");
    expect(fail(edited((m) => { const t = m.graph.initializer[0]; delete t.rawData; t.floatData = [1, 2]; }))).toBe("tensor 'w' has 2 values for shape [4]");
    expect(fail(edited((m) => { m.graph.input[0].type.tensorType.elemType = 77; }))).toBe("value 'x': unsupported ONNX tensor element type 77");
  });
  it('refuses a tensor attribute without a tensor, nameless values and two producers of one value', () => {
    expect(fail(edited((m) => { m.graph.node[0].attribute = [{ name: 'value', type: 4 }]; }))).toBe('not a valid ONNX model (a tensor attribute holds no tensor)');
    expect(fail(edited((m) => { m.graph.initializer[0].name = ''; }))).toBe('not a valid ONNX model (an initializer without a name)');
    expect(fail(edited((m) => { m.graph.node[0].opType = ''; }))).toBe("not a valid ONNX model (node 'add' has no op_type)");
    expect(fail(edited((m) => { m.graph.node.push({ ...m.graph.node[0], name: 'again' }); }))).toBe("not a valid ONNX model (value 'y' already has a producer (Add 'add'))");
  });
  it("refuses a file that carries vp-studio's loading metadata in a shape vp-studio never writes", () => {
    for (const [notes, size] of [['{', '{}'], ['["ok"]', '{"size":"x","fixed":true,"why":""}'], ['[1]', '{"size":4,"fixed":true,"why":""}']]) {
      const b = edited((m) => { m.metadataProps = [{ key: 'vp.loaded', value: notes }, { key: 'vp.input_size', value: size }]; });
      expect(() => loadBackbone(b)).toThrow(new OnnxFormatError("the model's metadata 'vp.loaded' / 'vp.input_size' is not what vp-studio writes (edited by hand?)"));
    }
  });
  it('peek refuses truncated and unknown wire types in one line', () => {
    const b = model();
    expect(() => outputNames(b.subarray(0, b.length - 3))).toThrow(OnnxFormatError);
    expect(() => externalLocations(Uint8Array.of(0x3b))).toThrow('not a valid ONNX model (protobuf wire type 3)');
    expect(outputNames(b)).toEqual(['y']);
  });
});
