// safetensors reader/writer (https://github.com/huggingface/safetensors format): u64 LE header length,
// JSON header {name: {dtype, shape, data_offsets}, __metadata__?}, then the raw little-endian tensor bytes.
import { DTYPE_SIZE, checkTensor, fromBytes, numel, toBytes } from './types.ts';
import type { DType, HostTensor } from './types.ts';
import { compareCodePoints } from './order.ts';
import { FileFormatError, firstLine } from './file-error.ts';
import { jsonDepth } from './json.ts';

/** safetensors dtype names for the dtypes HostTensor can hold. */
const TO_ST: Record<DType, string> = {
  float32: 'F32', float64: 'F64', int32: 'I32', int64: 'I64', uint8: 'U8', int8: 'I8', bool: 'BOOL', float16: 'F16',
};
const FROM_ST: Record<string, DType> = Object.fromEntries(Object.entries(TO_ST).map(([k, v]) => [v, k as DType]));
/** The reference implementation refuses headers above 100 MB; so do we. */
const MAX_HEADER = 100_000_000;
const MAX_HEADER_DEPTH = 8;

export interface Safetensors {
  tensors: Record<string, HostTensor>;
  metadata: Record<string, string>;
}

/** Serialise tensors plus optional string metadata. Like the reference writer, tensors are laid out (and listed)
 * by element size, largest first, then by name in code-point order, so every tensor's data stays aligned to its
 * element size. The output is deterministic: the same tensors always give the same bytes. */
export function writeSafetensors(tensors: Record<string, HostTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors);
  for (const name of names) checkTensor(tensors[name], `safetensors: tensor '${name}'`);
  names.sort((a, b) => DTYPE_SIZE[tensors[b].dtype] - DTYPE_SIZE[tensors[a].dtype] || compareCodePoints(a, b));
  const parts: string[] = [];
  if (metadata !== undefined) {
    for (const [k, v] of Object.entries(metadata)) {
      if (typeof v !== 'string') throw new Error(`safetensors: metadata '${k}' must be a string`);
    }
    parts.push(`"__metadata__":${JSON.stringify(metadata)}`);
  }
  let offset = 0;
  for (const name of names) {
    if (name === '__metadata__') throw new Error(`safetensors: '__metadata__' is reserved and cannot name a tensor`);
    const t = tensors[name];
    const end = offset + t.data.byteLength;
    const entry = { dtype: TO_ST[t.dtype], shape: t.shape, data_offsets: [offset, end] };
    parts.push(`${JSON.stringify(name)}:${JSON.stringify(entry)}`);
    offset = end;
  }
  let header = new TextEncoder().encode(`{${parts.join(',')}}`);
  const padded = Math.ceil(header.length / 8) * 8;
  if (padded !== header.length) {
    const h = new Uint8Array(padded).fill(0x20);
    h.set(header);
    header = h;
  }
  const out = new Uint8Array(8 + header.length + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(header.length), true);
  out.set(header, 8);
  let at = 8 + header.length;
  for (const name of names) {
    const b = toBytes(tensors[name]);
    out.set(b, at);
    at += b.length;
  }
  return out;
}

/** Parse a safetensors file. Throws a one-line `safetensors: ...` FileFormatError naming what is malformed. Every
 * tensor's bytes must lie inside the file before anything is copied, so the file's size bounds what is allocated. */
export function readSafetensors(bytes: Uint8Array): Safetensors {
  if (bytes.length < 8) throw new FileFormatError(`safetensors: truncated file (${bytes.length} bytes; the 8-byte header length is missing)`);
  const n64 = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getBigUint64(0, true);
  if (n64 > BigInt(MAX_HEADER)) throw new FileFormatError(`safetensors: header length ${n64} is over the 100 MB limit (not a safetensors file?)`);
  const n = Number(n64);
  if (8 + n > bytes.length) {
    throw new FileFormatError(`safetensors: truncated header (header length says ${n} bytes, only ${bytes.length - 8} follow)`);
  }
  let header: unknown;
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + n));
    // {name: {dtype, shape: [..], data_offsets: [..]}}: three levels; anything deeper is not a header
    if (jsonDepth(text, MAX_HEADER_DEPTH) > MAX_HEADER_DEPTH) throw new Error(`nested deeper than ${MAX_HEADER_DEPTH} levels`);
    header = JSON.parse(text);
  } catch (e) {
    throw new FileFormatError(`safetensors: bad header JSON: ${firstLine(e)}`);
  }
  if (!isObject(header)) throw new FileFormatError('safetensors: bad header JSON: the header is not a JSON object');
  const start = 8 + n;
  const bufLen = bytes.length - start;
  const tensors: Record<string, HostTensor> = {};
  const metadata: Record<string, string> = {};
  for (const [name, info] of Object.entries(header)) {
    if (name === '__metadata__') {
      if (!isObject(info)) throw new FileFormatError('safetensors: bad header: __metadata__ is not an object');
      for (const [k, v] of Object.entries(info)) {
        if (typeof v !== 'string') throw new FileFormatError(`safetensors: bad header: __metadata__ '${k}' is not a string`);
        define(metadata, k, v);
      }
      continue;
    }
    define(tensors, name, readTensor(name, info, bytes, start, bufLen));
  }
  return { tensors, metadata };
}

function readTensor(name: string, info: unknown, bytes: Uint8Array, start: number, bufLen: number): HostTensor {
  const where = `safetensors: tensor '${name}'`;
  if (!isObject(info)) throw new FileFormatError(`${where}: header entry is not an object`);
  const { dtype: st, shape, data_offsets: offs } = info;
  if (typeof st !== 'string') throw new FileFormatError(`${where}: missing dtype`);
  const dtype = FROM_ST[st];
  if (dtype === undefined) {
    throw new FileFormatError(`${where}: unsupported dtype '${st}' (supported: ${Object.keys(FROM_ST).join(', ')})`);
  }
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new FileFormatError(`${where}: shape must be a list of non-negative integers`);
  }
  if (!Array.isArray(offs) || offs.length !== 2 || !offs.every((o) => Number.isSafeInteger(o) && o >= 0)) {
    throw new FileFormatError(`${where}: data_offsets must be [begin, end] with non-negative integers`);
  }
  const [b, e] = offs as [number, number];
  if (b > e || e > bufLen) {
    throw new FileFormatError(`${where}: data_offsets [${b}, ${e}] out of range (data buffer has ${bufLen} bytes)`);
  }
  const count = numel(shape as number[]);
  if (e - b !== count * DTYPE_SIZE[dtype]) {
    throw new FileFormatError(`${where}: data_offsets span ${e - b} bytes but ${st} [${shape.join(', ')}] needs ${count * DTYPE_SIZE[dtype]}`);
  }
  return { dtype, shape: [...(shape as number[])], data: fromBytes(dtype, bytes, start + b, count) };
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

/** Own-property assignment that also works for a key named "__proto__". */
function define<T>(obj: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}


