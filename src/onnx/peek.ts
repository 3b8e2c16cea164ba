// Reads a little from ONNX ModelProto bytes without decoding the model (a large backbone's initializers are
// hundreds of MiB, and the studio's main thread has no protobuf library): the graph's output names, which the
// executors need to place each output, and the external data files the model's tensors name. Malformed bytes end
// in an OnnxFormatError, never a read past the buffer.
import { OnnxFormatError } from './errors.ts';

/** The length-delimited fields numbered `want` of the message in buf[start, end). */
function fields(buf: Uint8Array, start: number, end: number, want: number): Uint8Array[] {
  const found: Uint8Array[] = [];
  let i = start;
  const varint = (): number => {
    let v = 0, mul = 1, byte: number;
    do { byte = buf[i++]; v += (byte & 0x7f) * mul; mul *= 128; } while (byte & 0x80);
    return v;
  };
  while (i < end) {
    const key = varint(), field = Math.floor(key / 8), wire = key & 7;
    if (wire === 0) varint();
    else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else if (wire === 2) { const n = varint(); if (field === want) found.push(buf.subarray(i, i + n)); i += n; }
    else throw new OnnxFormatError(`not a valid ONNX model (protobuf wire type ${wire})`);
  }
  if (i > end) throw new OnnxFormatError('not a valid ONNX model (truncated protobuf)');
  return found;
}

const sub = (m: Uint8Array, want: number) => fields(m, 0, m.length, want);
const text = new TextDecoder();
const str = (m: Uint8Array, want: number) => text.decode(sub(m, want)[0] ?? new Uint8Array());

/** Graph output names read straight from ModelProto bytes (field 7 graph → field 12 output → field 1 name),
 * skipping everything else — no full decode of a large model's initializers. */
export function outputNames(model: Uint8Array): string[] {
  const graph = sub(model, 7)[0];
  if (!graph) return [];
  return sub(graph, 12).map((vi) => str(vi, 1));
}

/** The data files a model's tensors name (TensorProto field 13 external_data, key 'location'): each location once,
 * in order of first use, with the first tensor that names it. Initializers (graph field 5) and node attribute
 * tensors (node 1 → attribute 5 → t 5) are read; what must be found beside the model before it can be decoded. */
export function externalLocations(model: Uint8Array): { location: string; tensor: string }[] {
  const graph = sub(model, 7)[0];
  if (!graph) return [];
  const tensors = [...sub(graph, 5), ...sub(graph, 1).flatMap((n) => sub(n, 5).flatMap((a) => sub(a, 5)))];
  const seen = new Map<string, string>();
  for (const t of tensors) {
    const entries = sub(t, 13);
    if (!entries.length) continue;
    const location = entries.filter((e) => str(e, 1) === 'location').map((e) => str(e, 2))[0] ?? '';
    if (!seen.has(location)) seen.set(location, str(t, 8));
  }
  return [...seen].map(([location, tensor]) => ({ location, tensor }));
}
