// Pass: every graph output is written by a compute kernel. An Identity that names a graph output (compile.ts names
// its outputs so) is left by onnxruntime when its input also feeds other nodes, is a graph input, or is itself an
// output — and onnxruntime's WebGPU EP runs such an Identity as a buffer copy, which a captured graph does not
// record: on replay that output kept the first run's values (measured: Adam's m and v outputs stale while the
// parameters were right). Such an Identity becomes Max(x, x), which is x exactly (a kernel onnxruntime neither
// folds nor removes). Identities onnxruntime removes (their input feeds them alone) stay, so no kernel is added.
// Invariants after: values, names, dtypes and shapes of every graph output are unchanged; only Identity nodes
// producing graph outputs of a numeric type change op.
import type { Graph } from '../ir.ts';

const MAX_TYPES = new Set(['float32', 'float16', 'float64', 'int32', 'int64', 'uint32', 'uint64', 'int8', 'uint8']);

export function outputsByKernel(g: Graph): number {
  const outputs = new Set(g.outputs);
  let changed = 0;
  for (const o of g.outputs) {
    const n = o.producer;
    if (!n || n.opType !== 'Identity') continue;
    const x = n.input(0);
    const copied = !x.producer || x.users.size > 1 || outputs.has(x) || !!x.constant;
    if (!copied || !MAX_TYPES.has(o.dtype ?? 'float32')) continue;
    n.opType = 'Max';
    g.setInput(n, 1, x);
    changed++;
  }
  return changed;
}
