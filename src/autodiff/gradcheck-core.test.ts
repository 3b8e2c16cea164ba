// Numeric gradient checks for the core rules (Add, Mul, MatMul, Relu, Reshape) and the walk's broadcasting
// and fan-out handling, through onnxruntime-node.
import { describe, expect, it } from 'vitest';
import { runGraph } from '../runtime/ort-node.ts';
import { gradcheck, type Runner } from './gradcheck.ts';

export const run: Runner = (g, feeds) => runGraph(g, feeds, { optimization: 'disabled' });
const TOL = 2e-3;

describe('gradcheck: core rules', () => {
  const rows: [string, Parameters<typeof gradcheck>[1], Parameters<typeof gradcheck>[2]][] = [
    ['Add broadcast', (b, [x, y]) => b.add(x, y), [{ shape: [2, 3, 4] }, { shape: [3, 1] }]],
    ['Mul broadcast', (b, [x, y]) => b.mul(x, y), [{ shape: [2, 3, 4] }, { shape: [4] }]],
    ['MatMul 2d', (b, [x, y]) => b.op('MatMul', [x, y]), [{ shape: [3, 4] }, { shape: [4, 5] }]],
    ['MatMul batched x 2d', (b, [x, y]) => b.op('MatMul', [x, y]), [{ shape: [2, 3, 4] }, { shape: [4, 5] }]],
    ['MatMul broadcast batch', (b, [x, y]) => b.op('MatMul', [x, y]), [{ shape: [2, 1, 3, 4] }, { shape: [3, 4, 2] }]],
    ['MatMul 1d x 2d', (b, [x, y]) => b.op('MatMul', [x, y]), [{ shape: [4] }, { shape: [2, 4, 5] }]],
    ['MatMul 3d x 1d', (b, [x, y]) => b.op('MatMul', [x, y]), [{ shape: [2, 3, 4] }, { shape: [4] }]],
    ['Relu', (b, [x]) => b.op('Relu', [x]), [{ shape: [3, 5] }]],
    ['Reshape', (b, [x]) => b.reshape(x, [4, 3]), [{ shape: [2, 6] }]],
    ['fan-out x*x + x', (b, [x]) => b.add(b.mul(x, x), x), [{ shape: [5] }]],
  ];
  for (const [name, build, inputs] of rows) {
    it(name, async () => {
      const r = await gradcheck(run, build, inputs);
      expect(r.relError, `${name}: analytic ${r.analytic} numeric ${r.numeric}`).toBeLessThan(TOL);
    });
  }

  it('refuses an op without a rule, naming it', async () => {
    await expect(gradcheck(run, (b, [x]) => b.op('Hardmax', [x]), [{ shape: [2, 3] }])).rejects.toThrow(/no gradient rule for op Hardmax/);
  });
});
