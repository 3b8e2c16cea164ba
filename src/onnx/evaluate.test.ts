// The host folding of the shape subgraphs windowed transformers build (HF Swin's shifted-window mask: ConstantOfShape
// → ScatterND slice fills; BEiT's relative-position index: ScatterND + a ReduceSum over one axis): ScatterND's shape
// rule and its refusals, and the folded values against onnxruntime running the same nodes on a graph input.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../runtime/ort-node.ts';
import { unsupportedAttribute } from './attributes.ts';
import { evaluateNode } from './evaluate.ts';
import { Graph, type Value } from './ir.ts';
import { inferShapes } from './passes/infer.ts';
import { inferNode } from './shapes.ts';
import { fromNumbers, toNumbers, type Tensor } from './tensor.ts';

const iota = (n: number, f = (i: number) => i) => Array.from({ length: n }, (_, i) => f(i));

/** y = op(x, ...consts) with x a graph input (onnxruntime computes it) or an initializer (our folding does). */
function graphOf(op: string, x: Tensor, consts: Tensor[], attrs: Graph['nodes'][number]['attrs'], asConstant: boolean): { g: Graph; y: Value } {
  const g = new Graph();
  g.opsetImports = [{ domain: '', version: 17 }];
  let xv: Value;
  if (asConstant) xv = g.addInitializer('x', x);
  else { xv = g.value('x'); xv.dtype = x.dtype; xv.shape = [...x.shape]; g.inputs = [xv]; }
  const y = g.value('y');
  g.addNode(op, [xv, ...consts.map((c, i) => g.addInitializer(`c${i}`, c))], [y], attrs, { name: 'node' });
  g.outputs = [y];
  return { g, y };
}

/** The folded output of op(x, ...consts) and onnxruntime's, as numbers. */
async function foldAndRun(op: string, x: Tensor, consts: Tensor[], attrs: Graph['nodes'][number]['attrs'] = {}): Promise<[number[], number[]]> {
  const folded = graphOf(op, x, consts, attrs, true);
  inferShapes(folded.g);
  expect(folded.g.nodes).toHaveLength(0);
  const run = graphOf(op, x, consts, attrs, false);
  inferNode(run.g.nodes[0], 17);
  const want = (await runGraph(run.g, { x }))[run.y.name];
  expect(folded.y.constant!.shape).toEqual(want.shape);
  return [toNumbers(folded.y.constant!), toNumbers(want)];
}

describe('ScatterND', () => {
  it('the shape rule: the data shape; updates must be indices[:-1] + data[k:]', () => {
    const ok = graphOf('ScatterND', fromNumbers('float32', [2, 3, 4], iota(24)), [fromNumbers('int64', [2, 2], [0, 1, 1, 2]), fromNumbers('float32', [2, 4], iota(8))], {}, false);
    inferNode(ok.g.nodes[0], 17);
    expect(ok.y.shape).toEqual([2, 3, 4]);
    expect(ok.y.dtype).toBe('float32');
    const bad = graphOf('ScatterND', fromNumbers('float32', [2, 3, 4], iota(24)), [fromNumbers('int64', [2, 2], [0, 1, 1, 2]), fromNumbers('float32', [2, 3], iota(6))], {}, false);
    expect(() => inferNode(bad.g.nodes[0], 17)).toThrow(/^ScatterND 'node': updates \[2,3\] do not match indices \[2,2\] and data \[2,3,4\] \(\[2,4\] expected\)$/);
    const deep = graphOf('ScatterND', fromNumbers('float32', [2, 3], iota(6)), [fromNumbers('int64', [1, 3], [0, 1, 1]), fromNumbers('float32', [1], [1])], {}, false);
    expect(() => inferNode(deep.g.nodes[0], 17)).toThrow(/^ScatterND 'node': indices address 3 axes of a rank 2 input$/);
  });

  // HF Swin's mask fill: img_mask[:, h0:h1, w0:w1, :] = cnt, exported as indices [h, w, 3] into [1, H, W, 1]
  const swinFill = (h0: number, h1: number, w0: number, w1: number): Tensor => {
    const idx: number[] = [];
    for (let h = h0; h < h1; h++) for (let w = w0; w < w1; w++) idx.push(0, h, w);
    return fromNumbers('int64', [h1 - h0, w1 - w0, 3], idx);
  };
  const cases: [string, Tensor, Tensor, Tensor][] = [
    ['slices of the first 3 axes (Swin mask fill)', fromNumbers('float32', [1, 7, 7, 1], iota(49, () => 0)), swinFill(4, 7, 2, 5), fromNumbers('float32', [3, 3, 1], iota(9, () => 5))],
    ['single elements, negative indices (BEiT index table)', fromNumbers('int64', [5, 5], iota(25)), fromNumbers('int64', [3, 2], [0, 0, -1, -1, 2, -3]), fromNumbers('int64', [3], [100, 101, 102])],
    ['whole rows (k = 1)', fromNumbers('float32', [4, 3], iota(12, (i) => i / 7)), fromNumbers('int64', [2, 1], [3, 1]), fromNumbers('float32', [2, 3], [-1, -2, -3, -4, -5, -6])],
  ];
  for (const [name, data, idx, upd] of cases) {
    it(`folds like onnxruntime: ${name}`, async () => {
      const [got, want] = await foldAndRun('ScatterND', data, [idx, upd]);
      expect(got).toEqual(want);
    });
  }

  it('refuses any reduction but none: the attribute audit and the kernel, naming the node', () => {
    expect(unsupportedAttribute('ScatterND', 'n', { reduction: { type: 'string', value: 'add' } })).toBe("ScatterND 'n': attribute reduction='add' is not supported (honoured: 'none')");
    expect(unsupportedAttribute('ScatterND', 'n', { reduction: { type: 'string', value: 'none' } })).toBeUndefined();
    const { g } = graphOf('ScatterND', fromNumbers('float32', [2, 2], [1, 2, 3, 4]), [fromNumbers('int64', [1, 1], [0]), fromNumbers('float32', [1, 2], [5, 6])], { reduction: { type: 'string', value: 'mul' } }, true);
    inferNode(g.nodes[0], 17);
    expect(() => evaluateNode(g.nodes[0], 17)).toThrow(/^ScatterND 'node': reduction 'mul' is not supported \(only 'none'\)$/);
    const oob = graphOf('ScatterND', fromNumbers('float32', [2, 2], [1, 2, 3, 4]), [fromNumbers('int64', [1, 1], [2]), fromNumbers('float32', [1, 2], [5, 6])], {}, true);
    inferNode(oob.g.nodes[0], 17);
    expect(() => evaluateNode(oob.g.nodes[0], 17)).toThrow(/^ScatterND 'node': index 2 out of range for dimension 2$/);
  });
});

describe('partial reductions fold', () => {
  for (const [axes, keepdims] of [[[1], 0], [[0, 2], 1], [[-1], 1]] as const) {
    it(`ReduceSum over [${axes}] keepdims ${keepdims} like onnxruntime`, async () => {
      const x = fromNumbers('float32', [2, 3, 4], iota(24, (i) => Math.sin(i) * 3));
      const [got, want] = await foldAndRun('ReduceSum', x, [fromNumbers('int64', [axes.length], [...axes])], { keepdims: { type: 'int', value: keepdims } });
      got.forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(1e-5));
    });
  }
});
