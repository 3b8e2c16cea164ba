// The graph IR: Values know their producer and users, Nodes hold ordered inputs/outputs and typed attributes,
// a Graph keeps nodes in topological order plus its inputs, outputs and initializers (Values with constant data).
import type { DType, Tensor } from './tensor.ts';

export type Dim = number | string;

export type Attr =
  | { type: 'float'; value: number }
  | { type: 'int'; value: number }
  | { type: 'string'; value: string }
  | { type: 'tensor'; value: Tensor }
  | { type: 'floats'; value: number[] }
  | { type: 'ints'; value: number[] }
  | { type: 'strings'; value: string[] }
  | { type: 'graph'; value: unknown };

export class Value {
  dtype: DType | undefined;
  shape: Dim[] | undefined;
  producer: Node | null = null;
  readonly users = new Set<Node>();
  /** Constant data when this value is an initializer (or was folded into one). */
  constant: Tensor | undefined;
  constructor(public name: string) {}

  /** The shape as numbers; throws with the value's name when it is unknown or symbolic. */
  get dims(): number[] {
    const s = this.shape;
    if (!s) throw new Error(`shape of '${this.name}' is unknown`);
    for (const d of s) if (typeof d !== 'number') throw new Error(`shape of '${this.name}' is not static: [${s}]`);
    return s as number[];
  }
  get rank(): number {
    if (!this.shape) throw new Error(`rank of '${this.name}' is unknown`);
    return this.shape.length;
  }
}

export class Node {
  inputs: (Value | null)[] = [];
  outputs: Value[] = [];
  attrs: Record<string, Attr> = {};
  constructor(public opType: string, public name: string, public domain = '') {}

  input(i: number): Value {
    const v = this.inputs[i];
    if (!v) throw new Error(`${this.opType} '${this.name}' has no input ${i}`);
    return v;
  }
  hasInput(i: number): boolean {
    return this.inputs[i] != null;
  }
  attrInt(name: string, dflt?: number): number {
    const a = this.attrs[name];
    if (!a) { if (dflt === undefined) throw new Error(`${this.opType} '${this.name}' lacks attribute ${name}`); return dflt; }
    if (a.type !== 'int') throw new Error(`${this.opType} '${this.name}': attribute ${name} is ${a.type}, int expected`);
    return a.value;
  }
  attrFloat(name: string, dflt?: number): number {
    const a = this.attrs[name];
    if (!a) { if (dflt === undefined) throw new Error(`${this.opType} '${this.name}' lacks attribute ${name}`); return dflt; }
    if (a.type !== 'float' && a.type !== 'int') throw new Error(`${this.opType} '${this.name}': attribute ${name} is ${a.type}, float expected`);
    return a.value;
  }
  attrInts(name: string, dflt?: number[]): number[] {
    const a = this.attrs[name];
    if (!a) { if (dflt === undefined) throw new Error(`${this.opType} '${this.name}' lacks attribute ${name}`); return dflt; }
    if (a.type !== 'ints') throw new Error(`${this.opType} '${this.name}': attribute ${name} is ${a.type}, ints expected`);
    return a.value;
  }
  attrString(name: string, dflt?: string): string {
    const a = this.attrs[name];
    if (!a) { if (dflt === undefined) throw new Error(`${this.opType} '${this.name}' lacks attribute ${name}`); return dflt; }
    if (a.type !== 'string') throw new Error(`${this.opType} '${this.name}': attribute ${name} is ${a.type}, string expected`);
    return a.value;
  }
  attrTensor(name: string): Tensor | undefined {
    const a = this.attrs[name];
    return a && a.type === 'tensor' ? a.value : undefined;
  }
}

export interface OpsetImport { domain: string; version: number }

export class Graph {
  name = 'graph';
  nodes: Node[] = [];
  inputs: Value[] = [];
  outputs: Value[] = [];
  readonly values = new Map<string, Value>();
  opsetImports: OpsetImport[] = [{ domain: '', version: 17 }];
  irVersion = 8;
  producerName = 'vp-studio';
  docString = '';
  /** The model's metadata_props (key → value): where load passes record what they did to the model. */
  metadata: Record<string, string> = {};
  private counter = 0;

  /** Version of the default ONNX domain. */
  get opset(): number {
    return this.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx')?.version ?? 1;
  }

  value(name: string): Value {
    let v = this.values.get(name);
    if (!v) { v = new Value(name); this.values.set(name, v); }
    return v;
  }
  has(name: string): boolean {
    return this.values.has(name);
  }

  /** A name no value in the graph has yet. */
  freshName(hint: string): string {
    let name = hint;
    while (this.values.has(name)) name = `${hint}__${++this.counter}`;
    return name;
  }

  newValue(hint: string): Value {
    return this.value(this.freshName(hint));
  }

  initializers(): Value[] {
    const out: Value[] = [];
    for (const v of this.values.values()) if (v.constant && !v.producer) out.push(v);
    return out;
  }

  addInitializer(hint: string, t: Tensor, exactName = false): Value {
    const v = exactName ? this.value(hint) : this.newValue(hint);
    v.constant = t;
    v.dtype = t.dtype;
    v.shape = [...t.shape];
    return v;
  }

  /** Creates a node, links it and inserts it (at the end unless `at` is given). */
  addNode(opType: string, inputs: (Value | null)[], outputs: Value[], attrs: Record<string, Attr> = {}, opts: { name?: string; domain?: string; at?: number } = {}): Node {
    const n = new Node(opType, opts.name ?? this.freshNodeName(opType), opts.domain ?? '');
    n.attrs = attrs;
    n.inputs = inputs;
    for (const v of inputs) v?.users.add(n);
    for (const o of outputs) {
      if (o.producer) throw new Error(`value '${o.name}' already has a producer (${o.producer.opType} '${o.producer.name}')`);
      o.producer = n;
    }
    n.outputs = outputs;
    if (opts.at === undefined) this.nodes.push(n); else this.nodes.splice(opts.at, 0, n);
    return n;
  }

  private nodeNames = new Set<string>();
  freshNodeName(opType: string): string {
    let name = `${opType}_${this.nodeNames.size}`;
    while (this.nodeNames.has(name)) name = `${opType}_${++this.counter}`;
    this.nodeNames.add(name);
    return name;
  }
  claimNodeName(name: string): void {
    this.nodeNames.add(name);
  }

  /** Unlinks and removes a node; its outputs lose their producer. */
  removeNode(n: Node): void {
    for (const v of n.inputs) v?.users.delete(n);
    for (const o of n.outputs) if (o.producer === n) o.producer = null;
    const i = this.nodes.indexOf(n);
    if (i >= 0) this.nodes.splice(i, 1);
  }

  setInput(n: Node, i: number, v: Value | null): void {
    const old = n.inputs[i];
    n.inputs[i] = v;
    if (old && !n.inputs.includes(old)) old.users.delete(n);
    v?.users.add(n);
  }

  /** Points every user of `from` (and the graph outputs) at `to`. */
  replaceAllUses(from: Value, to: Value): void {
    for (const u of [...from.users]) {
      for (let i = 0; i < u.inputs.length; i++) if (u.inputs[i] === from) u.inputs[i] = to;
      to.users.add(u);
    }
    from.users.clear();
    this.outputs = this.outputs.map((o) => (o === from ? to : o));
  }

  /** Renames a value (its key in `values` follows). */
  renameValue(v: Value, name: string): void {
    if (this.values.get(name)) throw new Error(`value name '${name}' is taken`);
    this.values.delete(v.name);
    v.name = name;
    this.values.set(name, v);
  }

  /** Drops values that are neither produced, used, inputs, outputs nor initializers. */
  pruneValues(): void {
    const keep = new Set<Value>([...this.inputs, ...this.outputs]);
    for (const [name, v] of this.values) {
      if (keep.has(v) || v.producer || v.users.size > 0) continue;
      this.values.delete(name);
    }
  }
}
