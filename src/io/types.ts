// Host-side tensor type shared by the file-format readers/writers in src/io (npy, safetensors):
// the dtype vocabulary, the typed array behind each dtype, and small helpers to size, allocate and check them.

export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8' | 'int8' | 'bool' | 'float16';

/** A dense, C-ordered (row-major) tensor on the host. float16 is stored as raw IEEE half bits;
 * bool as one byte per element (0 or 1). */
export interface HostTensor {
  dtype: DType;
  shape: number[];
  data: Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array | Int8Array | Uint16Array;
}

/** Bytes per element of each dtype. */
export const DTYPE_SIZE: Readonly<Record<DType, number>> = Object.freeze({
  float32: 4, float64: 8, int32: 4, int64: 8, uint8: 1, int8: 1, bool: 1, float16: 2,
});

type ArrayCtor = { new (n: number): HostTensor['data']; new (buf: ArrayBuffer): HostTensor['data'] };
const CTORS: Record<DType, ArrayCtor> = {
  float32: Float32Array, float64: Float64Array, int32: Int32Array, int64: BigInt64Array,
  uint8: Uint8Array, int8: Int8Array, bool: Uint8Array, float16: Uint16Array,
};

/** Element count of a shape; [] is a scalar (1 element). Throws on negative or non-integer dims. */
export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isSafeInteger(d) || d < 0) throw new Error(`invalid dimension ${String(d)} in shape [${shape.join(', ')}]`);
    n *= d;
  }
  return n;
}

/** A zero-filled typed array of the right class for `dtype`. */
export function allocate(dtype: DType, n: number): HostTensor['data'] {
  return new CTORS[dtype](n);
}

/** Copy `count` little-endian elements starting at `bytes[offset]` into a fresh (aligned) typed array. */
export function fromBytes(dtype: DType, bytes: Uint8Array, offset: number, count: number): HostTensor['data'] {
  assertLittleEndianHost();
  // Uint8Array.prototype.slice copies even for a Node Buffer (whose own slice() is a view into a shared pool)
  const copy = Uint8Array.prototype.slice.call(bytes, offset, offset + count * DTYPE_SIZE[dtype]);
  return new CTORS[dtype](copy.buffer);
}

/** The little-endian bytes of a tensor's data (a view, not a copy). */
export function toBytes(t: HostTensor): Uint8Array {
  assertLittleEndianHost();
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Throws unless `t.data` is the array class for `t.dtype` and holds exactly numel(shape) elements. */
export function checkTensor(t: HostTensor, what = 'tensor'): void {
  if (!(t.dtype in CTORS)) throw new Error(`${what}: unsupported dtype '${String(t.dtype)}'`);
  const ctor = CTORS[t.dtype];
  if (!(t.data instanceof ctor)) {
    throw new Error(`${what}: dtype ${t.dtype} needs a ${ctor.name}, got ${t.data.constructor.name}`);
  }
  const n = numel(t.shape);
  if (t.data.length !== n) {
    throw new Error(`${what}: shape [${t.shape.join(', ')}] has ${n} elements but data has ${t.data.length}`);
  }
}

let littleEndian: boolean | undefined;
function assertLittleEndianHost(): void {
  littleEndian ??= new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
  if (!littleEndian) throw new Error('big-endian hosts are not supported');
}
