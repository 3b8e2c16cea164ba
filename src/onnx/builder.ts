// Emits nodes into a Graph with fresh names and infers each new node's output shape on the spot, so code that
// builds graphs (gradient rules, the train-step compiler) always sees static shapes. Plain numbers become int
// attributes; wrap floats with `f()` (ONNX is strict about attribute types).
import type { Attr, Graph, Node, Value } from './ir.ts';
import { inferNode } from './shapes.ts';
import { fromNumbers, type DType, type Tensor } from './tensor.ts';

export type AttrInput = number | number[] | string | string[] | Attr;
export const f = (value: number): Attr => ({ type: 'float', value });
export const fs = (value: number[]): Attr => ({ type: 'floats', value });
export const tensorAttr = (value: Tensor): Attr => ({ type: 'tensor', value });

function toAttr(k: string, a: AttrInput): Attr {
  if (typeof a === 'number') {
    if (!Number.isInteger(a)) throw new Error(`attribute ${k}=${a} is not an integer: wrap floats with f()`);
    return { type: 'int', value: a };
  }
  if (typeof a === 'string') return { type: 'string', value: a };
  if (Array.isArray(a)) {
    if (a.length && typeof a[0] === 'string') return { type: 'strings', value: a as string[] };
    if ((a as number[]).some((x) => !Number.isInteger(x))) throw new Error(`attribute ${k} has non-integers: wrap with fs()`);
    return { type: 'ints', value: a as number[] };
  }
  return a;
}

export class Builder {
  /** Nodes emitted by this builder, in order. */
  readonly emitted: Node[] = [];
  constructor(readonly g: Graph, readonly prefix = '') {}

  /** Emits a single-output op and returns its output. */
  op(opType: string, inputs: (Value | null)[], attrs: Record<string, AttrInput> = {}, hint?: string): Value {
    return this.opN(opType, inputs, 1, attrs, hint)[0];
  }

  /** Emits an op with `nOut` outputs. */
  opN(opType: string, inputs: (Value | null)[], nOut: number, attrs: Record<string, AttrInput> = {}, hint?: string): Value[] {
    const base = `${this.prefix}${hint ?? opType}`;
    const outs = Array.from({ length: nOut }, (_, i) => this.g.newValue(nOut === 1 ? base : `${base}_${i}`));
    const a: Record<string, Attr> = {};
    for (const [k, v] of Object.entries(attrs)) a[k] = toAttr(k, v);
    const n = this.g.addNode(opType, inputs, outs, a, { name: this.g.freshNodeName(`${this.prefix}${opType}`) });
    inferNode(n, this.g.opset);
    this.emitted.push(n);
    return outs;
  }

  /** A constant (initializer). */
  const(t: Tensor, hint = 'const'): Value {
    return this.g.addInitializer(`${this.prefix}${hint}`, t);
  }
  constF(values: number[] | Float32Array, shape: number[] = [values.length], hint = 'c'): Value {
    return this.const(fromNumbers('float32', shape, values), hint);
  }
  constI64(values: number[], shape: number[] = [values.length], hint = 'i'): Value {
    return this.const(fromNumbers('int64', shape, values), hint);
  }
  constI32(values: number[], shape: number[] = [values.length], hint = 'i'): Value {
    return this.const(fromNumbers('int32', shape, values), hint);
  }
  scalar(x: number, dtype: DType = 'float32', hint = 's'): Value {
    return this.const(fromNumbers(dtype, [], [x]), hint);
  }

  // -- conveniences used all over the rules --
  add(a: Value, b: Value) { return this.op('Add', [a, b]); }
  sub(a: Value, b: Value) { return this.op('Sub', [a, b]); }
  mul(a: Value, b: Value) { return this.op('Mul', [a, b]); }
  div(a: Value, b: Value) { return this.op('Div', [a, b]); }
  neg(a: Value) { return this.op('Neg', [a]); }
  reshape(x: Value, shape: number[]) { return this.op('Reshape', [x, this.constI64(shape)]); }
  transpose(x: Value, perm: number[]) { return this.op('Transpose', [x], { perm }); }
  /** ReduceSum over `axes` (opset-aware: axes is an input from opset 13). */
  reduceSum(x: Value, axes: number[], keepdims = true): Value {
    if (this.g.opset >= 13) return this.op('ReduceSum', [x, this.constI64(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.op('ReduceSum', [x], { axes, keepdims: keepdims ? 1 : 0 });
  }
  /** ReduceMean/Max/Min/LogSumExp over `axes` (axes attribute before opset 18). */
  reduce(op: 'ReduceMean' | 'ReduceMax' | 'ReduceMin' | 'ReduceLogSumExp', x: Value, axes: number[], keepdims = true): Value {
    if (this.g.opset >= 18) return this.op(op, [x, this.constI64(axes)], { keepdims: keepdims ? 1 : 0 });
    return this.op(op, [x], { axes, keepdims: keepdims ? 1 : 0 });
  }
  unsqueeze(x: Value, axes: number[]): Value {
    return this.g.opset >= 13 ? this.op('Unsqueeze', [x, this.constI64(axes)]) : this.op('Unsqueeze', [x], { axes });
  }
  squeeze(x: Value, axes: number[]): Value {
    return this.g.opset >= 13 ? this.op('Squeeze', [x, this.constI64(axes)]) : this.op('Squeeze', [x], { axes });
  }
}
