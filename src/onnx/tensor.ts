// Host tensors of the ONNX core: element types, typed-array storage, and the ONNX DataType enum mapping.
export type DType =
  | 'float32' | 'float64' | 'float16' | 'int64' | 'int32' | 'int16' | 'int8'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64' | 'bool' | 'string';

export type TypedArray =
  | Float32Array | Float64Array | Uint16Array | BigInt64Array | BigUint64Array | Int32Array
  | Int16Array | Int8Array | Uint8Array | Uint32Array;

export interface Tensor {
  dtype: DType;
  shape: number[];
  data: TypedArray | string[];
}

/** ONNX TensorProto.DataType values. */
export const ONNX_DTYPE: Record<DType, number> = {
  float32: 1, uint8: 2, int8: 3, uint16: 4, int16: 5, int32: 6, int64: 7, string: 8, bool: 9,
  float16: 10, float64: 11, uint32: 12, uint64: 13,
};

export function dtypeFromOnnx(code: number): DType {
  for (const [k, v] of Object.entries(ONNX_DTYPE)) if (v === code) return k as DType;
  throw new Error(`unsupported ONNX tensor element type ${code}`);
}

export function byteSize(dtype: DType): number {
  switch (dtype) {
    case 'float64': case 'int64': case 'uint64': return 8;
    case 'float32': case 'int32': case 'uint32': return 4;
    case 'float16': case 'int16': case 'uint16': return 2;
    case 'int8': case 'uint8': case 'bool': return 1;
    case 'string': throw new Error('string tensors have no fixed element size');
  }
}

export function numel(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function allocate(dtype: DType, n: number): TypedArray {
  switch (dtype) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'float16': case 'uint16': return new Uint16Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'int16': return new Int16Array(n);
    case 'int8': return new Int8Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'string': throw new Error('cannot allocate a string tensor');
  }
}

/** A typed view over little-endian bytes (copies, so the result is aligned). */
export function fromBytes(dtype: DType, bytes: Uint8Array, n: number): TypedArray {
  const need = n * byteSize(dtype);
  if (bytes.byteLength < need) throw new Error(`raw data holds ${bytes.byteLength} bytes, ${need} expected`);
  const out = allocate(dtype, n);
  new Uint8Array(out.buffer).set(bytes.subarray(0, need));
  return out;
}

export function toBytes(data: TypedArray): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength).slice();
}

/** Reads element i of any numeric tensor as a JS number. */
export function toNumbers(t: Tensor): number[] {
  if (t.dtype === 'string') throw new Error('string tensor has no numeric value');
  return Array.from(t.data as ArrayLike<number | bigint>, (x) => Number(x));
}

/** Builds a tensor of the given dtype from JS numbers. */
export function fromNumbers(dtype: DType, shape: number[], values: ArrayLike<number>): Tensor {
  const data = allocate(dtype, values.length);
  if (data instanceof BigInt64Array) {
    // saturate: INT64_MAX read back as a Number is 2^63, which BigInt64Array would wrap to INT64_MIN
    for (let i = 0; i < values.length; i++) {
      const x = Math.trunc(values[i]);
      data[i] = x >= 2 ** 63 ? 0x7fffffffffffffffn : x < -(2 ** 63) ? -0x8000000000000000n : BigInt(x);
    }
  } else if (data instanceof BigUint64Array) {
    for (let i = 0; i < values.length; i++) {
      const x = Math.trunc(values[i]);
      data[i] = x >= 2 ** 64 ? 0xffffffffffffffffn : x < 0 ? 0n : BigInt(x);
    }
  } else if (dtype === 'float16') {
    throw new Error('float16 constants are not supported');
  } else {
    (data as Float32Array).set(values as ArrayLike<number>);
  }
  if (numel(shape) !== values.length) throw new Error(`shape [${shape}] needs ${numel(shape)} values, got ${values.length}`);
  return { dtype, shape: [...shape], data };
}

export const scalarTensor = (dtype: DType, v: number): Tensor => fromNumbers(dtype, [], [v]);
export const isFloat = (d: DType | undefined): boolean => d === 'float32' || d === 'float64' || d === 'float16';

/** IEEE half-precision bits → number. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, f = h & 0x3ff;
  if (e === 0) return s * f * 2 ** -24;
  if (e === 31) return f ? NaN : s * Infinity;
  return s * (1 + f / 1024) * 2 ** (e - 15);
}

/** A float16 tensor widened to float32 (exact: every half is a float). */
export function float16ToFloat32(t: Tensor): Tensor {
  const src = t.data as Uint16Array, out = new Float32Array(src.length);
  for (let i = 0; i < src.length; i++) out[i] = halfToNumber(src[i]);
  return { dtype: 'float32', shape: [...t.shape], data: out };
}
