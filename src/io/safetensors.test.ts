// Tests for safetensors.ts: bytes built by hand from the format spec, round trips, and malformed-file errors.
import { describe, expect, it } from 'vitest';
import { readSafetensors, writeSafetensors } from './safetensors.ts';
import type { HostTensor } from './types.ts';

const enc = (s: string) => [...new TextEncoder().encode(s)];
const u64le = (n: number) => [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, n >>> 24, 0, 0, 0, 0];

/** A file assembled from the spec: u64 LE header size, space-padded JSON header, then the data buffer. */
function handBuilt(): number[] {
  let header =
    '{"__metadata__":{"format":"pt"},' +
    '"c":{"dtype":"I64","shape":[1],"data_offsets":[0,8]},' +
    '"b":{"dtype":"F32","shape":[2],"data_offsets":[8,16]},' +
    '"a":{"dtype":"U8","shape":[3],"data_offsets":[16,19]}}';
  while (header.length % 8 !== 0) header += ' ';
  const data = [
    5, 0, 0, 0, 0, 0, 0, 0, // c: int64 5
    0x00, 0x00, 0x80, 0x3f, 0x00, 0x00, 0x00, 0xc0, // b: float32 1.0, -2.0
    1, 2, 3, // a: uint8
  ];
  return [...u64le(header.length), ...enc(header), ...data];
}

const tensors: Record<string, HostTensor> = {
  b: { dtype: 'float32', shape: [2], data: new Float32Array([1, -2]) },
  a: { dtype: 'uint8', shape: [3], data: new Uint8Array([1, 2, 3]) },
  c: { dtype: 'int64', shape: [1], data: new BigInt64Array([5n]) },
};

describe('safetensors', () => {
  it('writes exactly the bytes the spec prescribes', () => {
    expect([...writeSafetensors(tensors, { format: 'pt' })]).toEqual(handBuilt());
  });

  it('reads the hand-built file', () => {
    const { tensors: t, metadata } = readSafetensors(new Uint8Array(handBuilt()));
    expect(metadata).toEqual({ format: 'pt' });
    expect(t).toEqual(tensors);
  });

  it('round trips every dtype, scalars, empty tensors and awkward names', () => {
    const all: Record<string, HostTensor> = {
      'z.weight': { dtype: 'float64', shape: [2, 1], data: new Float64Array([Math.PI, -0]) },
      '10': { dtype: 'int32', shape: [], data: new Int32Array([-7]) },
      '2': { dtype: 'int8', shape: [2], data: new Int8Array([-128, 127]) },
      'é': { dtype: 'bool', shape: [3], data: new Uint8Array([1, 0, 1]) },
      '😀': { dtype: 'float16', shape: [1], data: new Uint16Array([0x3c00]) },
      ['__proto__']: { dtype: 'float32', shape: [0, 3], data: new Float32Array(0) },
    };
    const bytes = writeSafetensors(all);
    const back = readSafetensors(bytes);
    expect(Object.keys(all)).toContain('__proto__');
    expect(Object.keys(back.tensors).sort()).toEqual(Object.keys(all).sort());
    for (const k of Object.keys(all)) expect(back.tensors[k]).toEqual(all[k]);
    expect(back.metadata).toEqual({});
    const headerLen = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
  });

  it('lists same-size tensors in code-point order and is deterministic', () => {
    const t = (v: number): HostTensor => ({ dtype: 'float32', shape: [1], data: new Float32Array([v]) });
    const bytes = writeSafetensors({ '😀': t(3), b: t(2), '\uffff': t(4), a: t(1) });
    const len = Number(new DataView(bytes.buffer).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + len));
    const order = ['"a"', '"b"', '"\uffff"', '"😀"'].map((k) => header.indexOf(k));
    expect(order).toEqual([...order].sort((x, y) => x - y));
    expect([...new Float32Array(bytes.slice(8 + len).buffer)]).toEqual([1, 2, 4, 3]);
    expect(writeSafetensors({ a: t(1), '😀': t(3), '\uffff': t(4), b: t(2) })).toEqual(bytes);
  });

  it('rejects malformed input to the writer', () => {
    expect(() => writeSafetensors({ x: { dtype: 'float32', shape: [2], data: new Float32Array(3) } })).toThrow(/tensor 'x'/);
    const one = { dtype: 'uint8' as const, shape: [1], data: new Uint8Array(1) };
    expect(() => writeSafetensors({ __metadata__: one })).toThrow(/reserved/);
  });
});

describe('readSafetensors errors name the problem', () => {
  const withHeader = (json: string, data: number[] = []) => {
    const h = enc(json);
    return new Uint8Array([...u64le(h.length), ...h, ...data]);
  };

  it('truncated', () => {
    expect(() => readSafetensors(new Uint8Array(5))).toThrow(/truncated file/);
    const good = new Uint8Array(handBuilt());
    expect(() => readSafetensors(good.subarray(0, 40))).toThrow(/truncated header/);
    expect(() => readSafetensors(good.subarray(0, good.length - 1))).toThrow(/tensor 'a': data_offsets \[16, 19\] out of range/);
  });

  it('bad header JSON', () => {
    expect(() => readSafetensors(withHeader('{"a": '))).toThrow(/^safetensors: bad header JSON/);
    expect(() => readSafetensors(withHeader('[1,2]'))).toThrow(/not a JSON object/);
    expect(() => readSafetensors(withHeader('{"__metadata__":{"k":1}}'))).toThrow(/__metadata__ 'k' is not a string/);
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 1n << 40n, true);
    expect(() => readSafetensors(huge)).toThrow(/over the 100 MB limit/);
  });

  it('offsets out of range or not matching the shape', () => {
    const e = (o: string, shape = '[1]') => withHeader(`{"x":{"dtype":"F32","shape":${shape},"data_offsets":${o}}}`, [0, 0, 0, 0]);
    expect(() => readSafetensors(e('[0,8]'))).toThrow(/data_offsets \[0, 8\] out of range \(data buffer has 4 bytes\)/);
    expect(() => readSafetensors(e('[4,0]'))).toThrow(/out of range/);
    expect(() => readSafetensors(e('[0,4]', '[2]'))).toThrow(/span 4 bytes but F32 \[2\] needs 8/);
    expect(() => readSafetensors(e('[0]'))).toThrow(/data_offsets must be/);
    expect(() => readSafetensors(e('[0,4]', '[-1]'))).toThrow(/shape must be/);
  });

  it('unsupported dtype', () => {
    const bf16 = withHeader('{"w":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}', [0, 0]);
    expect(() => readSafetensors(bf16)).toThrow(/tensor 'w': unsupported dtype 'BF16'/);
  });
});
