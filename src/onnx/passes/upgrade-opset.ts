// Pass: upgrade a graph of the default domain from opset 7–12 to opset 13, so that the compiled train graphs
// (which emit Slice with steps, float Equal, Unsqueeze/ReduceSum with axes inputs, …) are valid ONNX at the
// opset the model declares. Old files are common: the ONNX Model Zoo's MXNet ResNets and MobileNetV2 are opset 7,
// PyTorch's older exports 9–12. What changes between 7 and 13, for the ops a vision backbone uses:
//   attributes that became inputs — Clip min/max (11), Pad pads/value (11), Slice starts/ends/axes (10),
//   Squeeze/Unsqueeze axes (13), ReduceSum axes (13), Split split (13);
//   BatchNormalization loses spatial (9, only spatial=1 is kept: per-channel statistics), consumed_inputs and
//   is_test (7), and its training outputs (mean, var, saved_*) must be unused;
//   Softmax/LogSoftmax/Hardmax (13) normalise along one axis instead of over the flattened trailing dims: kept as
//   is when the axis is the last one, else rewritten as Flatten(axis) → op(axis=1) → Reshape(Shape(x));
//   ImageScaler (experimental, removed in 10) becomes Mul + Add.
// Ops whose old semantics we do not convert (Upsample, Resize before 11, Scatter, TopK before 10) are refused in
// one line naming the node. Other ops keep their meaning at 13.
// Invariants after: the default domain's opset is ≥ 13 (ir_version ≥ 7); every node is valid at 13; values keep
// their names; graph inputs/outputs are unchanged. Returns whether anything changed. Run after canonicalize
// (Constant nodes are initializers) and before shape inference.
import type { Graph, Node, Value } from '../ir.ts';
import { fromNumbers } from '../tensor.ts';

export const TARGET_OPSET = 13;
const FLT_MAX = 3.4028234663852886e38;

export function upgradeOpset(g: Graph): boolean {
  const from = g.opset;
  if (from >= TARGET_OPSET) return false;
  if (from < 7) throw new Error(`opset ${from} is older than 7: convert the model first (onnx.version_converter.convert_version(model, 13))`);
  const ints = (n: Node, v: number[]) => g.addInitializer(`${n.name}_${'c'}`, fromNumbers('int64', [v.length], v));
  const scalar = (n: Node, v: number) => g.addInitializer(`${n.name}_s`, fromNumbers('float32', [], [v]));
  const take = (n: Node, attr: string) => { const a = n.attrs[attr]; delete n.attrs[attr]; return a; };
  const takeInts = (n: Node, attr: string): number[] | undefined => { const a = take(n, attr); return a?.type === 'ints' ? a.value : undefined; };
  const setInputs = (n: Node, ins: (Value | null)[]) => { for (const [i, v] of ins.entries()) g.setInput(n, i, v); };
  for (const n of [...g.nodes]) {
    if (n.domain !== '' && n.domain !== 'ai.onnx') continue;
    const refuse = (why: string): never => { throw new Error(`cannot upgrade ${n.opType} '${n.name}' from opset ${from} to ${TARGET_OPSET}: ${why}`); };
    switch (n.opType) {
      case 'BatchNormalization': {
        if (n.attrInt('spatial', 1) !== 1) refuse('spatial=0 (per-activation statistics) has no opset-9+ equivalent');
        for (const a of ['spatial', 'consumed_inputs', 'is_test']) delete n.attrs[a];
        if (n.outputs.slice(1).some((o) => o.users.size > 0 || g.outputs.includes(o))) refuse('its training outputs (running mean/var) are used');
        for (const o of n.outputs.slice(1)) o.producer = null;
        n.outputs = n.outputs.slice(0, 1);
        break;
      }
      case 'Clip': {
        if (from >= 11) break;
        const lo = take(n, 'min'), hi = take(n, 'max');
        setInputs(n, [n.input(0), scalar(n, lo?.type === 'float' ? lo.value : -FLT_MAX), scalar(n, hi?.type === 'float' ? hi.value : FLT_MAX)]);
        break;
      }
      case 'Pad': {
        if (from >= 11) break;
        const pads = takeInts(n, 'pads') ?? refuse('no pads attribute');
        const value = take(n, 'value');
        setInputs(n, [n.input(0), ints(n, pads), value?.type === 'float' && value.value !== 0 ? scalar(n, value.value) : null]);
        if (!n.inputs[2]) n.inputs.length = 2;
        break;
      }
      case 'Slice': {
        if (from >= 10) break;
        const starts = takeInts(n, 'starts') ?? refuse('no starts'), ends = takeInts(n, 'ends') ?? refuse('no ends');
        const axes = takeInts(n, 'axes');
        setInputs(n, [n.input(0), ints(n, starts), ints(n, ends), ...(axes ? [ints(n, axes)] : [])]);
        break;
      }
      case 'Squeeze': case 'Unsqueeze': case 'ReduceSum': {
        const axes = takeInts(n, 'axes');
        if (axes) setInputs(n, [n.input(0), ints(n, axes)]);
        break;
      }
      case 'Split': {
        const split = takeInts(n, 'split');
        if (split) setInputs(n, [n.input(0), ints(n, split)]);
        break;
      }
      case 'Softmax': case 'LogSoftmax': case 'Hardmax': {
        const axis = n.attrInt('axis', 1), rank = n.input(0).shape?.length;
        if (axis === -1 || (rank !== undefined && axis === rank - 1)) break;
        // old semantics: normalise over the dims from `axis` on, flattened
        const x = n.input(0), y = n.outputs[0], at = g.nodes.indexOf(n);
        const flat = g.newValue(`${x.name}_flat`), soft = g.newValue(`${y.name}_2d`), shape = g.newValue(`${x.name}_shape`);
        g.addNode('Flatten', [x], [flat], { axis: { type: 'int', value: axis } }, { at });
        g.setInput(n, 0, flat);
        n.attrs.axis = { type: 'int', value: 1 };
        g.addNode('Shape', [x], [shape], {}, { at: at + 2 });
        n.outputs = [soft]; soft.producer = n; y.producer = null;
        g.addNode('Reshape', [soft, shape], [y], {}, { at: at + 3 });
        break;
      }
      case 'ImageScaler': {
        const scale = n.attrFloat('scale', 1), biasAttr = n.attrs.bias;
        const b = biasAttr?.type === 'floats' ? biasAttr.value : [0, 0, 0];
        const x = n.input(0), y = n.outputs[0], at = g.nodes.indexOf(n), scaled = g.newValue(`${x.name}_scaled`);
        g.removeNode(n);
        g.addNode('Mul', [x, scalar(n, scale)], [scaled], {}, { at });
        g.addNode('Add', [scaled, g.addInitializer(`${n.name}_bias`, fromNumbers('float32', [1, b.length, 1, 1], b))], [y], {}, { at: at + 1 });
        break;
      }
      case 'Upsample': refuse('Upsample was removed in opset 10; re-export the model with Resize'); break;
      case 'Resize': if (from < 11) refuse('opset-10 Resize has other coordinate semantics; re-export at opset 11 or later'); break;
      case 'Scatter': refuse('Scatter was replaced by ScatterElements in opset 11'); break;
      case 'TopK': if (from < 10) refuse('TopK takes k as an input since opset 10'); break;
    }
  }
  const imp = g.opsetImports.find((o) => o.domain === '' || o.domain === 'ai.onnx');
  if (imp) imp.version = TARGET_OPSET; else g.opsetImports.push({ domain: '', version: TARGET_OPSET });
  g.irVersion = Math.max(g.irVersion, 7);
  return true;
}
