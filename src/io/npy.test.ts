// Tests for npy.ts: round trips and byte-exact agreement with files written by numpy 1.24.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { readNpy, writeNpy } from './npy.ts';
import type { HostTensor } from './types.ts';

/* src/io/testdata/*.npy were written once with:
/usr/bin/python3 -c "
import numpy as np
np.save('f32_2x3.npy', (np.arange(6, dtype=np.float32).reshape(2, 3) - 2.5) / 4)
np.save('f64_scalar.npy', np.array(3.141592653589793))
np.save('i64_1d.npy', np.array([-(2**40), -1, 0, 7, 2**62], dtype=np.int64))
np.save('i32_2x1x2.npy', np.array([[[1, -2]], [[2147483647, -2147483648]]], dtype=np.int32))
np.save('u8_2x2.npy', np.array([[0, 1], [128, 255]], dtype=np.uint8))
np.save('bool_3.npy', np.array([True, False, True]))
np.save('f16_2.npy', np.array([1.0, -0.5], dtype=np.float16))
np.save('fortran_2x2.npy', np.asfortranarray(np.ones((2, 2), dtype=np.float32)))
np.save('bigendian_2.npy', np.array([1, 2], dtype='>f4'))
with open('v2_f32_3.npy', 'wb') as f: np.lib.format.write_array(f, np.array([1, 2, 3], dtype=np.float32), version=(2, 0))
with open('v3_u8_2.npy', 'wb') as f: np.lib.format.write_array(f, np.array([5, 6], dtype=np.uint8), version=(3, 0))
" */
const file = (name: string) => new Uint8Array(readFileSync(new URL(`./testdata/${name}`, import.meta.url)));

const numpyFiles: Array<[string, HostTensor]> = [
  ['f32_2x3.npy', { dtype: 'float32', shape: [2, 3], data: new Float32Array([-0.625, -0.375, -0.125, 0.125, 0.375, 0.625]) }],
  ['f64_scalar.npy', { dtype: 'float64', shape: [], data: new Float64Array([3.141592653589793]) }],
  ['i64_1d.npy', { dtype: 'int64', shape: [5], data: new BigInt64Array([-(2n ** 40n), -1n, 0n, 7n, 2n ** 62n]) }],
  ['i32_2x1x2.npy', { dtype: 'int32', shape: [2, 1, 2], data: new Int32Array([1, -2, 2147483647, -2147483648]) }],
  ['u8_2x2.npy', { dtype: 'uint8', shape: [2, 2], data: new Uint8Array([0, 1, 128, 255]) }],
  ['bool_3.npy', { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) }],
  ['f16_2.npy', { dtype: 'float16', shape: [2], data: new Uint16Array([0x3c00, 0xb800]) }],
];

describe('readNpy on numpy-written files', () => {
  it.each(numpyFiles)('%s', (name, expected) => {
    expect(readNpy(file(name))).toEqual(expected);
  });

  it('reads format versions 2.0 and 3.0', () => {
    expect(readNpy(file('v2_f32_3.npy'))).toEqual({ dtype: 'float32', shape: [3], data: new Float32Array([1, 2, 3]) });
    expect(readNpy(file('v3_u8_2.npy'))).toEqual({ dtype: 'uint8', shape: [2], data: new Uint8Array([5, 6]) });
  });

  it('rejects fortran order and big-endian data with a clear message', () => {
    expect(() => readNpy(file('fortran_2x2.npy'))).toThrow(/fortran_order=True/);
    expect(() => readNpy(file('bigendian_2.npy'))).toThrow(/big-endian dtype '>f4'/);
  });
});

describe('writeNpy', () => {
  it.each(numpyFiles)('writes %s byte for byte as numpy.save does', (name, tensor) => {
    expect(Buffer.from(writeNpy(tensor)).equals(Buffer.from(file(name)))).toBe(true);
  });

  it('round trips every dtype, including empty and high-rank shapes', () => {
    const cases: HostTensor[] = [
      { dtype: 'float64', shape: [2, 2], data: new Float64Array([1e-300, -0, Infinity, NaN]) },
      { dtype: 'int8', shape: [3], data: new Int8Array([-128, 0, 127]) },
      { dtype: 'float32', shape: [0, 4], data: new Float32Array(0) },
      { dtype: 'uint8', shape: [1, 1, 1, 1, 2], data: new Uint8Array([9, 8]) },
      { dtype: 'int64', shape: [], data: new BigInt64Array([-5n]) },
    ];
    for (const t of cases) expect(readNpy(writeNpy(t))).toEqual(t);
  });

  it('starts the data on a 64-byte boundary, as numpy does', () => {
    const bytes = writeNpy({ dtype: 'float32', shape: [3, 4, 5], data: new Float32Array(60) });
    expect((bytes.length - 60 * 4) % 64).toBe(0);
  });

  it('rejects data that does not match the shape or dtype', () => {
    expect(() => writeNpy({ dtype: 'float32', shape: [3], data: new Float32Array(2) })).toThrow(/3 elements but data has 2/);
    expect(() => writeNpy({ dtype: 'int32', shape: [2], data: new Float32Array(2) })).toThrow(/needs a Int32Array/);
  });
});

describe('readNpy errors', () => {
  it('names the problem', () => {
    expect(() => readNpy(new Uint8Array([1, 2, 3]))).toThrow(/bad magic/);
    const good = file('f32_2x3.npy');
    expect(() => readNpy(good.subarray(0, 40))).toThrow(/truncated header/);
    expect(() => readNpy(good.subarray(0, good.length - 1))).toThrow(/truncated data/);
  });

  it('reports unsupported dtypes by their numpy code', () => {
    const bytes = writeNpy({ dtype: 'uint8', shape: [2], data: new Uint8Array(2) });
    const i = Buffer.from(bytes).indexOf("'|u1'");
    bytes.set([...Buffer.from("'<u2'")], i);
    expect(() => readNpy(bytes)).toThrow(/unsupported dtype '<u2'/);
  });
});
