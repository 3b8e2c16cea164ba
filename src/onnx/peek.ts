// Reads a little from ONNX ModelProto bytes without decoding the model (a large backbone's initializers are
// hundreds of MiB): the graph's output names, which the executors need to place each output.
/** Graph output names read straight from ModelProto bytes (field 7 graph → field 12 output → field 1 name),
 * skipping everything else — no full decode of a large model's initializers. */
export function outputNames(model: Uint8Array): string[] {
  const fields = (buf: Uint8Array, start: number, end: number, want: number): Uint8Array[] => {
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
      else throw new Error(`not an ONNX model (protobuf wire type ${wire})`);
    }
    return found;
  };
  const text = new TextDecoder();
  const graph = fields(model, 0, model.length, 7)[0];
  if (!graph) return [];
  return fields(graph, 0, graph.length, 12).map((vi) => text.decode(fields(vi, 0, vi.length, 1)[0] ?? new Uint8Array()));
}
