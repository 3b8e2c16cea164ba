// Structure-aware mutations of ONNX models for the fuzz tests: byte flips mostly break the protobuf framing, so
// these edit the decoded ModelProto instead — a tensor's dims, element type, raw data length or typed values, its
// external data entries (locations leaving the folder, offsets and lengths past the file, garbage numbers), node
// attributes of any type with missing payloads, value names and element types — and encode it again.
import fc from 'fast-check';
import protobuf from 'protobufjs';
import descriptor from '../onnx/onnx.proto.json' with { type: 'json' };

const ModelProto = protobuf.Root.fromJSON(descriptor as protobuf.INamespace).lookupType('onnx.ModelProto');
/* eslint-disable @typescript-eslint/no-explicit-any -- edits of raw protobuf messages */
type Msg = any;
type Edit = (m: Msg, pick: number) => void;

const LOCATIONS = ['weights.0.bin', '../weights.0.bin', '/etc/passwd', 'a\\b.bin', 'c:weights.bin', 'sub/../weights.0.bin', '', 'missing.bin', 'weights.0.bin\u0000'];
const NUMBERS = ['0', '-1', '1e3', '64', '99999999999', 'x', '', '4294967296', '0x10'];
const dim = fc.oneof(fc.integer({ min: -2, max: 8 }), fc.constantFrom(0, 2 ** 31, 2 ** 32, 2 ** 33, 100_000));

const pickOf = (xs: Msg[] | undefined, i: number): Msg => (xs?.length ? xs[i % xs.length] : undefined);
const tensors = (m: Msg): Msg[] => [...(m.graph?.initializer ?? []), ...(m.graph?.node ?? []).flatMap((n: Msg) => (n.attribute ?? []).map((a: Msg) => a.t).filter(Boolean))];

const edits: fc.Arbitrary<Edit>[] = [
  fc.array(dim, { maxLength: 5 }).map((dims): Edit => (m, i) => { const t = pickOf(tensors(m), i); if (t) t.dims = dims; }),
  fc.integer({ min: 0, max: 24 }).map((dt): Edit => (m, i) => { const t = pickOf(tensors(m), i); if (t) t.dataType = dt; }),
  fc.integer({ min: 0, max: 64 }).map((n): Edit => (m, i) => { const t = pickOf(tensors(m), i); if (t?.rawData) t.rawData = t.rawData.slice(0, n); }),
  fc.array(fc.double(), { maxLength: 6 }).map((vals): Edit => (m, i) => { const t = pickOf(tensors(m), i); if (t) { delete t.rawData; t.floatData = vals; } }),
  fc.tuple(fc.constantFrom(...LOCATIONS), fc.constantFrom(...NUMBERS), fc.constantFrom(...NUMBERS), fc.boolean()).map(([location, offset, length, keep]): Edit => (m, i) => {
    const t = pickOf(tensors(m), i);
    if (!t) return;
    t.dataLocation = keep ? 1 : 0;
    t.externalData = [{ key: 'location', value: location }, { key: 'offset', value: offset }, { key: 'length', value: length }];
    if (keep) delete t.rawData;
  }),
  fc.tuple(fc.integer({ min: 0, max: 14 }), fc.string({ maxLength: 4 })).map(([type, name]): Edit => (m, i) => {
    const n = pickOf(m.graph?.node, i);
    if (n) (n.attribute ??= []).push({ name: name || 'a', type });
  }),
  fc.tuple(fc.string({ maxLength: 3 }), fc.boolean()).map(([name, output]): Edit => (m, i) => {
    const n = pickOf(m.graph?.node, i);
    if (!n) return;
    const list = output ? (n.output ??= []) : (n.input ??= []);
    list[i % (list.length + 1)] = name;
  }),
  fc.integer({ min: 0, max: 24 }).map((elem): Edit => (m, i) => { const vi = pickOf([...(m.graph?.input ?? []), ...(m.graph?.output ?? [])], i); if (vi?.type?.tensorType) vi.type.tensorType.elemType = elem; }),
  fc.constant<Edit>((m, i) => { const ns = m.graph?.node; if (ns?.length) ns.splice(i % ns.length, 1); }),
  fc.constant<Edit>((m, i) => { const ns = m.graph?.node; if (ns?.length) ns.push({ ...ns[i % ns.length] }); }),
];

/** A seed model, decoded, given 1–3 structural edits, encoded again. */
export function mutatedOnnx(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const decoded = seeds.map((s) => ModelProto.toObject(ModelProto.decode(s), { longs: Number, arrays: true }));
  return fc.tuple(fc.nat(decoded.length - 1), fc.array(fc.tuple(fc.oneof(...edits), fc.nat()), { minLength: 1, maxLength: 3 })).map(([k, es]) => {
    const m = structuredClone(decoded[k]);
    for (const [e, pick] of es) e(m, pick);
    return ModelProto.encode(ModelProto.fromObject(m)).finish();
  });
}
