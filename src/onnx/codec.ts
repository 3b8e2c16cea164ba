// Reads and writes ONNX ModelProto bytes (protobufjs reflection over onnx.proto) to and from the Graph IR.
// External tensor data is read through a resolver of the model's data files (checked in external.ts) into
// ordinary in-memory tensors, and written on request (encodeSplit: weights in data files beside a model too large
// for one protobuf). Malformed input is refused with a one-line error that names the tensor/op.
import protobuf from 'protobufjs';
import descriptor from './onnx.proto.json' with { type: 'json' };
import { Graph, type Attr, type Dim, type Value } from './ir.ts';
import { externalBytes, type ExternalResolver, type SplitModel } from './external.ts';
import { byteSize, dtypeFromOnnx, fromBytes, numel, ONNX_DTYPE, type DType, type Tensor, type TypedArray } from './tensor.ts';
import { MAX_TENSOR_ELEMENTS, OnnxFormatError } from './errors.ts';

export { OnnxFormatError };

const root = protobuf.Root.fromJSON(descriptor as protobuf.INamespace);
const ModelProto = root.lookupType('onnx.ModelProto');
const TO_OBJECT: protobuf.IConversionOptions = { longs: Number, enums: Number, arrays: true, defaults: false };

/* eslint-disable @typescript-eslint/no-explicit-any -- protobuf messages are plain untyped objects here */
type Msg = any;

const ATTR_TYPE = { FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8 } as const;
const utf8 = new TextDecoder();
const utf8enc = new TextEncoder();
const str = (b: Uint8Array | string | undefined): string => (b === undefined ? '' : typeof b === 'string' ? b : utf8.decode(b));

export interface DecodeOptions {
  /** The model's external data files by location; tensors stored in them are read into memory. */
  external?: ExternalResolver;
}

function decodeMessage(bytes: Uint8Array): Msg {
  try {
    return ModelProto.toObject(ModelProto.decode(bytes), TO_OBJECT);
  } catch (e) {
    throw new OnnxFormatError(`not a valid ONNX model (protobuf decode failed: ${(e as Error).message.split('\n')[0]})`);
  }
}

/** Parses ONNX bytes into a Graph. Throws OnnxFormatError with a one-line reason on malformed input. */
export function decodeModel(bytes: Uint8Array, opts: DecodeOptions = {}): Graph {
  const m = decodeMessage(bytes);
  if (!m.graph || !m.irVersion) throw new OnnxFormatError('not a valid ONNX model (no graph or ir_version in the protobuf)');
  const g = new Graph();
  g.irVersion = m.irVersion;
  g.producerName = m.producerName ?? '';
  g.opsetImports = (m.opsetImport ?? []).map((o: Msg) => ({ domain: o.domain ?? '', version: o.version ?? 1 }));
  for (const kv of m.metadataProps ?? []) if (kv.key) g.metadata[kv.key] = kv.value ?? '';
  if (m.functions?.length) throw new OnnxFormatError(`model-local functions are not supported (${m.functions.map((f: Msg) => f.name).join(', ')})`);
  try {
    readGraph(g, m.graph, opts.external);
  } catch (e) {
    // the IR's own refusals (a value with two producers, …) are about the file; a TypeError or RangeError is ours
    if (e instanceof OnnxFormatError || e instanceof TypeError || e instanceof RangeError || !(e instanceof Error)) throw e;
    throw new OnnxFormatError(`not a valid ONNX model (${e.message.split('\n')[0]})`);
  }
  return g;
}

const isExternal = (tp: Msg): boolean => tp.dataLocation === 1 || !!tp.externalData?.length;
const locationOf = (tp: Msg): string => (tp.externalData ?? []).find((e: Msg) => e.key === 'location')?.value ?? '';

function readGraph(g: Graph, gp: Msg, external: ExternalResolver | undefined): void {
  g.name = gp.name ?? 'graph';
  g.docString = gp.docString ?? '';
  const initNames = new Set<string>();
  const named = (what: string) => (x: Msg) => { if (!x.name) throw new OnnxFormatError(`not a valid ONNX model (${what} without a name)`); };
  (gp.initializer ?? []).forEach(named('an initializer'));
  [...(gp.input ?? []), ...(gp.output ?? []), ...(gp.valueInfo ?? [])].forEach(named('a graph input, output or value_info'));
  for (const tp of gp.initializer ?? []) {
    const t = readTensor(tp, external);
    g.addInitializer(tp.name, t, true);
    initNames.add(tp.name);
  }
  for (const vi of [...(gp.input ?? []), ...(gp.output ?? []), ...(gp.valueInfo ?? [])]) readValueInfo(g.value(vi.name), vi);
  g.inputs = (gp.input ?? []).filter((vi: Msg) => !initNames.has(vi.name)).map((vi: Msg) => g.value(vi.name));
  for (const np of gp.node ?? []) {
    if (!np.opType) throw new OnnxFormatError(`not a valid ONNX model (node '${np.name ?? ''}' has no op_type)`);
    const attrs: Record<string, Attr> = {};
    for (const ap of np.attribute ?? []) attrs[ap.name] = readAttr(ap, np, external);
    const inputs = (np.input ?? []).map((n: string) => (n === '' ? null : g.value(n)));
    const outputs = (np.output ?? []).map((n: string) => g.value(n === '' ? g.freshName(`${np.name || np.opType}_unused`) : n));
    const name = np.name || g.freshNodeName(np.opType);
    g.claimNodeName(name);
    g.addNode(np.opType, inputs, outputs, attrs, { name, domain: np.domain ?? '' });
  }
  g.outputs = (gp.output ?? []).map((vi: Msg) => g.value(vi.name));
}

function readValueInfo(v: Value, vi: Msg): void {
  const tt = vi.type?.tensorType;
  if (!tt) return;
  if (tt.elemType) v.dtype = elemType(tt.elemType, `value '${v.name}'`);
  if (tt.shape) v.shape = (tt.shape.dim ?? []).map((d: Msg, i: number): Dim => (d.dimValue !== undefined ? d.dimValue : d.dimParam || `?${i}`));
}

function readAttr(ap: Msg, np: Msg, external: ExternalResolver | undefined): Attr {
  switch (ap.type) {
    case ATTR_TYPE.FLOAT: return { type: 'float', value: ap.f ?? 0 };
    case ATTR_TYPE.INT: return { type: 'int', value: ap.i ?? 0 };
    case ATTR_TYPE.STRING: return { type: 'string', value: str(ap.s) };
    case ATTR_TYPE.TENSOR: return { type: 'tensor', value: readTensor(ap.t, external) };
    case ATTR_TYPE.FLOATS: return { type: 'floats', value: ap.floats ?? [] };
    case ATTR_TYPE.INTS: return { type: 'ints', value: ap.ints ?? [] };
    case ATTR_TYPE.STRINGS: return { type: 'strings', value: (ap.strings ?? []).map(str) };
    case ATTR_TYPE.GRAPH: return { type: 'graph', value: ap.g };
    default: throw new OnnxFormatError(`${np.opType} '${np.name}': attribute ${ap.name} has unsupported type ${ap.type}`);
  }
}

/** An ONNX element type code as our dtype, or a one-line refusal naming `what` has it. */
function elemType(code: number, what: string): DType {
  try { return dtypeFromOnnx(code); } catch (e) { throw new OnnxFormatError(`${what}: ${(e as Error).message}`); }
}

export function readTensor(tp: Msg, external?: ExternalResolver): Tensor {
  if (!tp) throw new OnnxFormatError('not a valid ONNX model (a tensor attribute holds no tensor)');
  const name = tp.name ?? '';
  const dtype = elemType(tp.dataType ?? 0, `tensor '${name}'`);
  const shape: number[] = (tp.dims ?? []).map(Number);
  const where = isExternal(tp) ? `tensor '${name}' (external data '${locationOf(tp)}')` : `tensor '${name}'`;
  if (!shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new OnnxFormatError(`${where}: bad shape [${shape}]`);
  const n = numel(shape);
  if (n > MAX_TENSOR_ELEMENTS) throw new OnnxFormatError(`${where}: shape [${shape}] claims ${n} elements, over the limit of ${MAX_TENSOR_ELEMENTS} per tensor`);
  let data: TypedArray | string[];
  if (isExternal(tp)) {
    if (dtype === 'string') throw new OnnxFormatError(`${where}: string tensors cannot be external`);
    let raw: Uint8Array;
    try {
      raw = externalBytes(name, tp.externalData ?? [], n * byteSize(dtype), external);
    } catch (e) {
      throw new OnnxFormatError((e as Error).message);
    }
    data = fromBytes(dtype, raw, n);
  } else if (tp.rawData && tp.rawData.length > 0) {
    if (dtype === 'string') throw new OnnxFormatError(`${where}: a string tensor cannot hold raw data`);
    const need = n * byteSize(dtype);
    if (tp.rawData.length < need) throw new OnnxFormatError(`${where}: raw data holds ${tp.rawData.length} bytes, ${need} expected for shape [${shape}] (truncated file?)`);
    data = fromBytes(dtype, tp.rawData, n);
  } else if (dtype === 'string') {
    data = (tp.stringData ?? []).map(str);
    if (data.length !== n) throw new OnnxFormatError(`${where} has ${data.length} strings for shape [${shape}]`);
  } else {
    const src: number[] =
      dtype === 'float32' ? tp.floatData : dtype === 'float64' ? tp.doubleData :
      dtype === 'int64' ? tp.int64Data : dtype === 'uint64' || dtype === 'uint32' ? tp.uint64Data : tp.int32Data;
    const vals = src ?? [];
    if (vals.length !== n) throw new OnnxFormatError(`tensor '${name}' has ${vals.length} values for shape [${shape}]`);
    data = fromTypedValues(dtype, vals);
  }
  return { dtype, shape, data };
}

function fromTypedValues(dtype: Tensor['dtype'], vals: number[]): TypedArray {
  switch (dtype) {
    case 'float32': return Float32Array.from(vals);
    case 'float64': return Float64Array.from(vals);
    case 'int64': return BigInt64Array.from(vals, (x) => BigInt(x));
    case 'uint64': return BigUint64Array.from(vals, (x) => BigInt(x));
    case 'int32': return Int32Array.from(vals);
    case 'uint32': return Uint32Array.from(vals);
    case 'int16': return Int16Array.from(vals);
    case 'int8': return Int8Array.from(vals);
    case 'float16': case 'uint16': return Uint16Array.from(vals);
    case 'uint8': case 'bool': return Uint8Array.from(vals);
    default: throw new OnnxFormatError(`cannot read ${dtype} values`);
  }
}

function writeTensor(name: string, t: Tensor): Msg {
  const tp: Msg = { name, dims: t.shape, dataType: ONNX_DTYPE[t.dtype] };
  if (t.dtype === 'string') tp.stringData = (t.data as string[]).map((s) => utf8enc.encode(s));
  // a view, not a copy: protobufjs copies it once into the output buffer (a copy here doubled a large model's
  // transient memory while encoding)
  else { const d = t.data as TypedArray; tp.rawData = new Uint8Array(d.buffer, d.byteOffset, d.byteLength); }
  return tp;
}

function writeAttr(name: string, a: Attr): Msg {
  switch (a.type) {
    case 'float': return { name, type: ATTR_TYPE.FLOAT, f: a.value };
    case 'int': return { name, type: ATTR_TYPE.INT, i: a.value };
    case 'string': return { name, type: ATTR_TYPE.STRING, s: utf8enc.encode(a.value) };
    case 'tensor': return { name, type: ATTR_TYPE.TENSOR, t: writeTensor('', a.value) };
    case 'floats': return { name, type: ATTR_TYPE.FLOATS, floats: a.value };
    case 'ints': return { name, type: ATTR_TYPE.INTS, ints: a.value };
    case 'strings': return { name, type: ATTR_TYPE.STRINGS, strings: a.value.map((s) => utf8enc.encode(s)) };
    case 'graph': return { name, type: ATTR_TYPE.GRAPH, g: a.value };
  }
}

function writeValueInfo(v: Value): Msg {
  const vi: Msg = { name: v.name };
  if (v.dtype) {
    const tensorType: Msg = { elemType: ONNX_DTYPE[v.dtype] };
    if (v.shape) tensorType.shape = { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) };
    vi.type = { tensorType };
  }
  return vi;
}

/** The ModelProto message of a Graph, each initializer written by `init`. */
function modelMessage(g: Graph, init: (name: string, t: Tensor) => Msg): Msg {
  const inits = g.initializers();
  const io = new Set<Value>([...g.inputs, ...g.outputs, ...inits]);
  const valueInfo: Msg[] = [];
  for (const n of g.nodes) for (const o of n.outputs) if (!io.has(o) && o.dtype) valueInfo.push(writeValueInfo(o));
  const graph: Msg = {
    name: g.name,
    node: g.nodes.map((n) => ({
      name: n.name,
      opType: n.opType,
      domain: n.domain || undefined,
      input: n.inputs.map((v) => v?.name ?? ''),
      output: n.outputs.map((v) => v.name),
      attribute: Object.entries(n.attrs).map(([k, a]) => writeAttr(k, a)),
    })),
    initializer: inits.map((v) => init(v.name, v.constant as Tensor)),
    input: g.inputs.map(writeValueInfo),
    output: g.outputs.map(writeValueInfo),
    valueInfo,
  };
  if (g.docString) graph.docString = g.docString;
  const model: Msg = {
    irVersion: g.irVersion,
    producerName: g.producerName,
    opsetImport: g.opsetImports.map((o) => ({ domain: o.domain, version: o.version })),
    graph,
  };
  const meta = Object.entries(g.metadata);
  if (meta.length) model.metadataProps = meta.map(([key, value]) => ({ key, value }));
  return model;
}

function encodeMessage(model: Msg): Uint8Array {
  const err = ModelProto.verify(model);
  if (err) throw new Error(`internal: cannot encode model: ${err}`);
  return ModelProto.encode(ModelProto.fromObject(model)).finish();
}

/** Serialises a Graph to ModelProto bytes (initializers as raw_data). */
export function encodeModel(g: Graph): Uint8Array {
  return encodeMessage(modelMessage(g, writeTensor));
}

export interface SplitOptions {
  /** Data file names: `<prefix>.<i>.bin` (default 'weights'), or as `fileName` names the i-th. */
  prefix?: string;
  fileName?: (index: number) => string;
  /** Initializers of at least this many bytes go to the data files (default 1 KiB); smaller ones stay inline. */
  minBytes?: number;
  /** At most this many bytes per data file (default 1 GiB; a tensor larger than that gets a file of its own). */
  fileBytes?: number;
}

/** Offsets in a data file are multiples of this (aligned reads of every element type, SIMD-friendly). */
const ALIGN = 64;

/** Serialises a Graph with its large initializers as external data: the protobuf (small) and the data files,
 * as onnxruntime's `externalData` session option takes them. */
export function encodeSplit(g: Graph, o: SplitOptions = {}): SplitModel {
  const fileName = o.fileName ?? ((i: number) => `${o.prefix ?? 'weights'}.${i}.bin`), minBytes = o.minBytes ?? 1024, fileBytes = o.fileBytes ?? 2 ** 30;
  // plan every file first, then copy each tensor once into its file
  const files: { path: string; size: number; parts: { at: number; data: TypedArray }[] }[] = [];
  const place = (data: TypedArray): { path: string; at: number } => {
    let f = files[files.length - 1];
    const at = f ? Math.ceil(f.size / ALIGN) * ALIGN : 0;
    if (!f || (f.size > 0 && at + data.byteLength > fileBytes)) {
      f = { path: fileName(files.length), size: 0, parts: [] };
      files.push(f);
    }
    const start = Math.ceil(f.size / ALIGN) * ALIGN;
    f.parts.push({ at: start, data });
    f.size = start + data.byteLength;
    return { path: f.path, at: start };
  };
  const model = modelMessage(g, (name, t) => {
    if (t.dtype === 'string' || (t.data as TypedArray).byteLength < minBytes) return writeTensor(name, t);
    const data = t.data as TypedArray, { path, at } = place(data);
    const externalData = [{ key: 'location', value: path }, { key: 'offset', value: String(at) }, { key: 'length', value: String(data.byteLength) }];
    return { name, dims: t.shape, dataType: ONNX_DTYPE[t.dtype], dataLocation: 1, externalData };
  });
  const externalData = files.map((f) => {
    const out = new Uint8Array(f.size);
    for (const p of f.parts) out.set(new Uint8Array(p.data.buffer, p.data.byteOffset, p.data.byteLength), p.at);
    return { path: f.path, data: out };
  });
  return { model: encodeMessage(model), externalData };
}
