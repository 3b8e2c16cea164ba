// Static memory estimate of a compiled graph as onnxruntime runs it: weights (initializers, Constant nodes and
// what constant folding computes from them) and graph inputs stay resident; each node's outputs are allocated
// when it runs and freed after the last node that reads them (graph outputs are kept), in onnxruntime's execution
// order (onnxruntimeOrder: not the file's). View ops (Reshape,
// Identity, …) share their input's buffer, as onnxruntime does. Also picks the largest micro-batch whose
// estimated peak fits a byte budget, and formats sizes in binary units (KiB, MiB, GiB).
import type { Graph, Node, Value } from '../onnx/ir.ts';
import { byteSize, numel } from '../onnx/tensor.ts';

export interface MemoryEstimate {
  /** weightBytes + inputBytes + peakActivationBytes. */
  peakBytes: number;
  /** Initializers, Constant nodes and constant-folded values that some node or graph output reads. */
  weightBytes: number;
  /** Graph inputs (images, labels, trainable tensors, optimiser state, hyper-parameters). */
  inputBytes: number;
  /** Most bytes of node outputs alive at once (while a node runs: its inputs and its outputs). */
  peakActivationBytes: number;
  /** The biggest single node output: WebGPU's maxStorageBufferBindingSize and maxBufferSize apply per tensor. */
  largestTensorBytes: number;
  largestTensor: string;
}

/** Ops onnxruntime never constant-folds (their result is not a function of their inputs). */
const RANDOM_OPS = new Set(['RandomNormal', 'RandomUniform', 'RandomNormalLike', 'RandomUniformLike', 'Multinomial', 'Bernoulli']);

/**
 * The weights as onnxruntime holds them after its constant folding (on at every optimisation level but
 * 'disabled', in node and on the web): initializers and Constant nodes, and the outputs of nodes computed from
 * them alone (e.g. the Transpose of a frozen weight that a MatMul's backward pass reads). `constant` is all of
 * these; `weights` those that stay resident: read by a node that is not folded, or a graph output.
 */
function weightsOf(g: Graph, inputs: Set<Value>): { constant: Set<Value>; weights: Set<Value> } {
  const constant = new Set<Value>();
  for (const v of g.values.values()) if (v.constant && !v.producer && !inputs.has(v)) constant.add(v);
  const folded = new Set<Node>();
  for (const n of g.nodes) {
    const fromConstants = n.inputs.some((v) => v) && n.inputs.every((v) => !v || constant.has(v)) && !RANDOM_OPS.has(n.opType);
    if (n.opType === 'Constant' || fromConstants) { folded.add(n); for (const o of n.outputs) constant.add(o); }
  }
  const outputs = new Set(g.outputs);
  const weights = new Set<Value>();
  for (const v of constant) if (outputs.has(v) || [...v.users].some((u) => !folded.has(u))) weights.add(v);
  return { constant, weights };
}

/** Ops whose output is a view of input 0 in onnxruntime: no new buffer, but the input lives as long as the view. */
const VIEW_OPS = new Set(['Reshape', 'Identity', 'Squeeze', 'Unsqueeze', 'Flatten']);

/** Bytes of a value with a static shape; throws naming the value otherwise. */
function tensorBytes(v: Value): number {
  if (!v.dtype) throw new Error(`memory estimate: dtype of '${v.name}' is unknown`);
  if (v.dtype === 'string') throw new Error(`memory estimate: '${v.name}' is a string tensor (no fixed size)`);
  let dims: number[];
  try {
    dims = v.dims;
  } catch (e) {
    throw new Error(`memory estimate: ${(e as Error).message}`);
  }
  return byteSize(v.dtype) * numel(dims);
}

/**
 * The order onnxruntime runs `g`'s nodes in (its GraphViewer's default: a depth-first search from the nodes whose
 * outputs no node reads, in post-order, that at each node visits its inputs' producers highest file position
 * first, so the one written earlier runs later, just before its user). It ignores onnxruntime's own fusions.
 */
export function onnxruntimeOrder(g: Graph): Node[] {
  const index = new Map(g.nodes.map((n, i) => [n, i]));
  const byIndex = (a: Node, b: Node) => index.get(a)! - index.get(b)!;
  const leaves = g.nodes.filter((n) => n.outputs.every((o) => ![...o.users].some((u) => index.has(u))));
  const stack: [Node, boolean][] = leaves.sort(byIndex).map((n) => [n, false]);
  const visited = new Set<Node>(), order: Node[] = [];
  while (stack.length) {
    const [n, leave] = stack.pop()!;
    if (leave) { order.push(n); continue; }
    if (visited.has(n)) continue;
    visited.add(n);
    stack.push([n, true]);
    const producers = n.inputs.map((v) => v?.producer).filter((p): p is Node => !!p && index.has(p)).sort(byIndex);
    for (const p of producers) if (!visited.has(p)) stack.push([p, false]);
  }
  return order;
}

/** Simulates one run of `g` in onnxruntime's order (the graph is not modified). */
export function estimateMemory(g: Graph): MemoryEstimate {
  const nodes = onnxruntimeOrder(g);
  const position = new Map(nodes.map((n, i) => [n, i]));
  const inputs = new Set(g.inputs);
  let inputBytes = 0;
  for (const v of inputs) inputBytes += tensorBytes(v);
  const { constant, weights } = weightsOf(g, inputs);
  let weightBytes = 0;
  for (const v of weights) weightBytes += tensorBytes(v);
  /** Values that own no activation buffer: inputs and constants (folded ones included, resident or dropped). */
  const resident = new Set<Value>([...inputs, ...constant]);

  // the buffer behind each value: a view's buffer is its source's; resident values own no activation buffer
  const buffer = new Map<Value, Value>();
  const bufferOf = (v: Value): Value => buffer.get(v) ?? v;
  /** Index of the last node reading each buffer (Infinity: a graph output, never freed). */
  const lastUse = new Map<Value, number>();
  nodes.forEach((n, i) => {
    for (const v of n.inputs) {
      if (!v) continue;
      if (v.producer ? !position.has(v.producer) : !resident.has(v)) throw new Error(`memory estimate: '${v.name}' (read by ${n.opType} '${n.name}') is neither a graph input, a weight nor the output of a node of the graph`);
      const b = bufferOf(v);
      if (!resident.has(b)) lastUse.set(b, i);
    }
    if (VIEW_OPS.has(n.opType) && n.inputs[0]) buffer.set(n.outputs[0], bufferOf(n.inputs[0]));
  });
  for (const v of g.outputs) lastUse.set(bufferOf(v), Infinity);

  const freeAt = new Map<number, Value[]>();
  for (const [b, i] of lastUse) {
    if (i === Infinity) continue;
    const list = freeAt.get(i);
    if (list) list.push(b); else freeAt.set(i, [b]);
  }
  let live = 0, peak = 0, largestTensorBytes = 0, largestTensor = '';
  nodes.forEach((n, i) => {
    const dead: number[] = [];
    for (const o of n.outputs) {
      if (resident.has(o) || buffer.has(o)) continue;
      const bytes = tensorBytes(o);
      live += bytes;
      if (bytes > largestTensorBytes) { largestTensorBytes = bytes; largestTensor = o.name; }
      if (!lastUse.has(o)) dead.push(bytes); // nobody reads it: freed right after its node
    }
    peak = Math.max(peak, live);
    for (const bytes of dead) live -= bytes;
    for (const b of freeAt.get(i) ?? []) live -= tensorBytes(b);
  });
  return { peakBytes: weightBytes + inputBytes + peak, weightBytes, inputBytes, peakActivationBytes: peak, largestTensorBytes, largestTensor };
}

/**
 * The micro-batch for a batch of `batch` under `budgetBytes`, given the estimated peak at a micro-batch size
 * (assumed monotone and about linear: activations scale with the batch). Returns `batch` when it fits. Otherwise
 * it interpolates between the estimates at 1 and at `batch` for the largest m that fits, takes the fewest
 * micro-steps k = ⌈batch/m⌉ that allows, and returns ⌈batch/k⌉: a divisor of `batch` whenever one needs only k
 * steps, else the size that pads the last micro-batch least. Verifies that choice (one more call) and moves to
 * k+1 steps while it is over. Throws if even a micro-batch of 1 is over the budget.
 */
export function chooseMicroBatch(estimateAt: (micro: number) => number, batch: number, budgetBytes: number): number {
  if (!Number.isInteger(batch) || batch < 1) throw new Error(`batch size must be a positive integer, got ${batch}`);
  if (!(budgetBytes > 0)) throw new Error(`memory budget must be a positive number of bytes, got ${budgetBytes}`);
  const full = estimateAt(batch);
  if (full <= budgetBytes) return batch;
  const one = estimateAt(1);
  if (one > budgetBytes) throw new Error(`memory budget ${formatBytes(budgetBytes)} is below the estimated peak at micro-batch 1 (${formatBytes(one)})`);
  if (!Number.isFinite(full) || !Number.isFinite(one)) throw new Error(`memory estimate is not a finite number (${full} at ${batch}, ${one} at 1)`);
  const perSample = (full - one) / (batch - 1);
  let m = Math.min(batch - 1, 1 + Math.floor((budgetBytes - one) / perSample));
  for (let k = Math.ceil(batch / m); ; k++) {
    m = Math.ceil(batch / k);
    if (m === 1 || estimateAt(m) <= budgetBytes) return m;
  }
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** Bytes in binary units with two decimals: 1288490189 → "1.20 GiB"; under 1 KiB, whole bytes ("512 B"). */
export function formatBytes(n: number): string {
  let u = 0, x = n;
  while (Math.abs(x) >= 1024 && u < UNITS.length - 1) { x /= 1024; u++; }
  return u === 0 ? `${n} B` : `${x.toFixed(2)} ${UNITS[u]}`;
}
