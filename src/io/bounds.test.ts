// Bounds before allocation in the tensor readers: a safetensors or .npy file is refused by what it declares
// (header length, nesting, shape) against the bytes it has and the readers' limits, in one line naming the limit,
// before any buffer of the declared size exists.
import { describe, expect, it } from 'vitest';
import { FileFormatError } from './file-error.ts';
import { readNpy, writeNpy } from './npy.ts';
import { readSafetensors } from './safetensors.ts';

const fail = (f: () => unknown) => { try { f(); } catch (e) { expect(e).toBeInstanceOf(FileFormatError); return (e as Error).message; } throw new Error('no error'); };

function safetensors(header: string, data = 0): Uint8Array {
  const h = new TextEncoder().encode(header), out = new Uint8Array(8 + h.length + data);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

function npy(header: string, data = 0, version = 1): Uint8Array {
  const h = new TextEncoder().encode(header), pre = version === 1 ? 10 : 12, out = new Uint8Array(pre + h.length + data);
  out.set([0x93, 0x4e, 0x55, 0x4d, 0x50, 0x59, version, 0]);
  if (version === 1) new DataView(out.buffer).setUint16(8, h.length, true); else new DataView(out.buffer).setUint32(8, h.length, true);
  out.set(h, pre);
  return out;
}

describe('safetensors bounds', () => {
  it('refuses a header length past the 100 MB limit or past the file', () => {
    const b = safetensors('{}');
    new DataView(b.buffer).setBigUint64(0, 2n ** 40n, true);
    expect(fail(() => readSafetensors(b))).toBe('safetensors: header length 1099511627776 is over the 100 MB limit (not a safetensors file?)');
    new DataView(b.buffer).setBigUint64(0, 1000n, true);
    expect(fail(() => readSafetensors(b))).toBe('safetensors: truncated header (header length says 1000 bytes, only 2 follow)');
  });
  it('refuses a header nested past 8 levels by a scan, not a parse', () => {
    expect(fail(() => readSafetensors(safetensors('{"a":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}')))).toBe('safetensors: bad header JSON: nested deeper than 8 levels');
  });
  it('refuses a tensor claiming more bytes than the file holds', () => {
    expect(fail(() => readSafetensors(safetensors('{"w":{"dtype":"F32","shape":[100000,100000],"data_offsets":[0,40000000000]}}', 16)))).toBe("safetensors: tensor 'w': data_offsets [0, 40000000000] out of range (data buffer has 16 bytes)");
    expect(fail(() => readSafetensors(safetensors('{"w":{"dtype":"F32","shape":[100000,100000],"data_offsets":[0,16]}}', 16)))).toBe("safetensors: tensor 'w': data_offsets span 16 bytes but F32 [100000, 100000] needs 40000000000");
  });
  it('keeps a tensor named __proto__ as an own entry', () => {
    const t = readSafetensors(safetensors('{"__proto__":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}', 1)).tensors;
    expect(Object.keys(t)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(t)).toBe(Object.prototype);
  });
});

describe('.npy bounds', () => {
  it('refuses a 3.8 TB claim by its shape, before allocating', () => {
    const b = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000, 1000000), }");
    expect(fail(() => readNpy(b))).toBe('npy: shape [1000000, 1000000] claims 4000000000000 bytes, over the 4 GiB limit');
  });
  it('refuses a claim under the limit that the file does not hold', () => {
    expect(fail(() => readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000, 1000), }", 8)))).toBe('npy: truncated data (shape [1000, 1000] needs 4000000 bytes, file has 8)');
  });
  it('refuses a header length over 1 MiB and shape entries past 2^53', () => {
    const b = npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }", 0, 2);
    new DataView(b.buffer).setUint32(8, 0xffffffff, true);
    expect(fail(() => readNpy(b))).toBe('npy: header length 4294967295 is over the 1048576-byte limit');
    expect(fail(() => readNpy(npy("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }")))).toBe("npy: bad header (shape entry '99999999999999999999')");
  });
  it('still reads what numpy writes', () => {
    expect(readNpy(writeNpy({ dtype: 'float32', shape: [2, 3], data: new Float32Array(6).fill(1) })).shape).toEqual([2, 3]);
  });
});
