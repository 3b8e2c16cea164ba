// NumPy .npy reader/writer (format versions 1.0, 2.0, 3.0; little-endian, C order). The writer reproduces
// numpy.save's header byte for byte (sorted keys, spare shape digits, 64-byte alignment).
import { DTYPE_SIZE, checkTensor, fromBytes, numel, toBytes } from './types.ts';
import type { DType, HostTensor } from './types.ts';
import { FileFormatError } from './file-error.ts';

const MAGIC = [0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59]; // "\x93NUMPY"
const ALIGN = 64;
const GROWTH_AXIS_MAX_DIGITS = 21;
/** numpy itself refuses headers over 10,000 bytes unless told otherwise; ours allow very long shapes. */
const MAX_HEADER = 2 ** 20;
/** The most data bytes one array may claim (4 GiB). */
const MAX_DATA = 4 * 2 ** 30; // numpy leaves this much room to grow the first axis in place

const DESCR: Record<DType, string> = {
  float32: '<f4', float64: '<f8', int32: '<i4', int64: '<i8', uint8: '|u1', int8: '|i1', bool: '|b1', float16: '<f2',
};
const BY_CODE: Record<string, DType> = Object.fromEntries(Object.entries(DESCR).map(([k, v]) => [v.slice(1), k as DType]));

/** Parse a .npy file into a HostTensor. Throws a one-line `npy: ...` FileFormatError for anything it cannot represent
 * or that claims more than the limits (checked against the file's size before anything is allocated). */
export function readNpy(bytes: Uint8Array): HostTensor {
  if (bytes.length < 10 || !MAGIC.every((b, i) => bytes[i] === b)) throw new FileFormatError('npy: not a .npy file (bad magic)');
  const major = bytes[6];
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let headerLen: number;
  let start: number;
  if (major === 1) {
    headerLen = view.getUint16(8, true);
    start = 10;
  } else if (major === 2 || major === 3) {
    if (bytes.length < 12) throw new FileFormatError('npy: truncated header');
    headerLen = view.getUint32(8, true);
    start = 12;
  } else {
    throw new FileFormatError(`npy: unsupported format version ${major}.${bytes[7]}`);
  }
  if (headerLen > MAX_HEADER) throw new FileFormatError(`npy: header length ${headerLen} is over the ${MAX_HEADER}-byte limit`);
  if (start + headerLen > bytes.length) throw new FileFormatError('npy: truncated header');
  const raw = bytes.subarray(start, start + headerLen);
  const header = new TextDecoder('utf-8').decode(raw); // v1/v2 are latin1, but every header we accept is ASCII
  const { dtype, shape } = parseHeader(header);
  const count = numel(shape);
  const dataStart = start + headerLen;
  const need = count * DTYPE_SIZE[dtype];
  if (need > MAX_DATA) throw new FileFormatError(`npy: shape [${shape.join(', ')}] claims ${need} bytes, over the ${MAX_DATA / 2 ** 30} GiB limit`);
  if (bytes.length - dataStart < need) {
    throw new FileFormatError(`npy: truncated data (shape [${shape.join(', ')}] needs ${need} bytes, file has ${bytes.length - dataStart})`);
  }
  return { dtype, shape, data: fromBytes(dtype, bytes, dataStart, count) };
}

function parseHeader(h: string): { dtype: DType; shape: number[] } {
  const descr = /['"]descr['"]\s*:\s*(['"])([^'"]*)\1/.exec(h);
  if (!descr) {
    if (/['"]descr['"]\s*:\s*\[/.test(h)) throw new FileFormatError('npy: structured dtypes are not supported');
    throw new FileFormatError(`npy: bad header (no descr): ${h.trim()}`);
  }
  const code = descr[2];
  if (code[0] === '>' && code !== '>u1' && code !== '>i1' && code !== '>b1') {
    throw new FileFormatError(`npy: big-endian dtype '${code}' is not supported; save with arr.astype(arr.dtype.newbyteorder('<'))`);
  }
  const dtype = BY_CODE[/^[<>|=]/.test(code) ? code.slice(1) : code];
  if (dtype === undefined) {
    throw new FileFormatError(`npy: unsupported dtype '${code}' (supported: float32, float64, int32, int64, uint8, int8, bool, float16)`);
  }
  const fortran = /['"]fortran_order['"]\s*:\s*(True|False)/.exec(h);
  if (!fortran) throw new FileFormatError(`npy: bad header (no fortran_order): ${h.trim()}`);
  if (fortran[1] === 'True') {
    throw new FileFormatError('npy: fortran_order=True (column-major) arrays are not supported; save np.ascontiguousarray(arr)');
  }
  const shapeMatch = /['"]shape['"]\s*:\s*\(([^)]*)\)/.exec(h);
  if (!shapeMatch) throw new FileFormatError(`npy: bad header (no shape): ${h.trim()}`);
  const shape = shapeMatch[1]
    .split(',')
    .map((s) => s.trim().replace(/L$/, ''))
    .filter((s) => s.length > 0)
    .map((s) => {
      if (!/^\d+$/.test(s) || !Number.isSafeInteger(Number(s))) throw new FileFormatError(`npy: bad header (shape entry '${s.slice(0, 40)}')`);
      return Number(s);
    });
  return { dtype, shape };
}

/** Serialise a HostTensor as .npy (version 1.0, or 2.0 when the header is too long for 1.0). */
export function writeNpy(t: HostTensor): Uint8Array {
  checkTensor(t, 'npy');
  const shape = t.shape.length === 1 ? `(${t.shape[0]},)` : `(${t.shape.join(', ')})`;
  let header = `{'descr': '${DESCR[t.dtype]}', 'fortran_order': False, 'shape': ${shape}, }`;
  if (t.shape.length > 0) header += ' '.repeat(Math.max(0, GROWTH_AXIS_MAX_DIGITS - String(t.shape[0]).length));
  let lenBytes = 2;
  let padLen = ALIGN - ((MAGIC.length + 2 + lenBytes + header.length + 1) % ALIGN);
  if (header.length + 1 + padLen >= 65536) {
    lenBytes = 4;
    padLen = ALIGN - ((MAGIC.length + 2 + lenBytes + header.length + 1) % ALIGN);
  }
  header += ' '.repeat(padLen) + '\n';
  const data = toBytes(t);
  const prefix = MAGIC.length + 2 + lenBytes;
  const out = new Uint8Array(prefix + header.length + data.length);
  out.set(MAGIC, 0);
  out[6] = lenBytes === 2 ? 1 : 2;
  out[7] = 0;
  const view = new DataView(out.buffer);
  if (lenBytes === 2) view.setUint16(8, header.length, true);
  else view.setUint32(8, header.length, true);
  for (let i = 0; i < header.length; i++) out[prefix + i] = header.charCodeAt(i);
  out.set(data, prefix + header.length);
  return out;
}
