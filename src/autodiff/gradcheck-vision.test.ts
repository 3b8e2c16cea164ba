// Gradient checks for the rules of newer vision backbones (ReduceL2/L1/SumSquare/Prod, Sin, Cos, Mish, PRelu,
// Instance/GroupNormalization, DepthToSpace, SpaceToDepth, Einsum, Resize on activations) through onnxruntime-node: one numeric gradcheck
// row per op variant (inputs kept away from kinks: |x| ≥ 0.2 where sign(x) matters, no zero in a product), the
// refusals, and the same float32-only audit of the emitted nodes as gradcheck-math.test.ts.
import { describe, expect, it } from 'vitest';
import { Builder, f } from '../onnx/builder.ts';
import type { Value } from '../onnx/ir.ts';
import { fromNumbers, numel, type Tensor } from '../onnx/tensor.ts';
import { runGraph } from '../runtime/ort-node.ts';
import { buildCheck, gradcheck, rng, type CheckInput, type Runner } from './gradcheck.ts';

const run: Runner = (g, feeds) => runGraph(g, feeds, { optimization: 'disabled' });
const TOL = 2e-3;

type Build = (b: Builder, xs: Value[]) => Value;
/** name, forward, inputs, opset (default 17). */
type Row = [name: string, build: Build, inputs: CheckInput[], opset?: number];

/** Uniform magnitudes in [0.2, 1) with random signs: no element near a sign kink or a zero. */
function away(shape: number[], seed = 3, diff = true): CheckInput {
  const r = rng(seed);
  return { shape, diff, data: Float32Array.from({ length: numel(shape) }, () => (r() < 0.5 ? -1 : 1) * (0.2 + 0.8 * r())) };
}
const un = (op: string, attrs: Record<string, unknown> = {}): Build => (b, [x]) => b.op(op, [x], attrs as never);
const axesIn = (op: string, axes: number[], keepdims = 1): Build => (b, [x]) => b.op(op, [x, b.constI64(axes)], { keepdims });
const noop = (op: string): Build => (b, [x]) => b.op(op, [x], { noop_with_empty_axes: 1 });
/** Resize by scales (input 2) or sizes (input 3), roi absent. */
const resize = (attrs: Record<string, unknown>, o: { scales?: number[]; sizes?: number[] }): Build => (b, [x]) =>
  b.op('Resize', [x, null, o.scales ? b.constF(o.scales) : null, o.sizes ? b.constI64(o.sizes) : null], attrs as never);
const einsum = (equation: string): Build => (b, xs) => b.op('Einsum', xs, { equation });

const rows: Row[] = [
  ['ReduceL2 GRN axes (1, 2) attribute (opset 17)', un('ReduceL2', { axes: [1, 2] }), [{ shape: [2, 4, 3, 5] }]],
  ['ReduceL2 axes input, keepdims 0 (opset 18)', axesIn('ReduceL2', [-1], 0), [{ shape: [2, 3, 4] }], 18],
  ['ReduceL2 all axes, keepdims 0', un('ReduceL2', { keepdims: 0 }), [{ shape: [3, 4] }]],
  ['ReduceL2 noop_with_empty_axes (opset 18)', noop('ReduceL2'), [away([2, 3])], 18],
  ['ReduceL1 axes attribute (opset 17)', un('ReduceL1', { axes: [1] }), [away([2, 3, 4])]],
  ['ReduceL1 axes input, keepdims 0 (opset 18)', axesIn('ReduceL1', [0, 2], 0), [away([2, 3, 4])], 18],
  ['ReduceL1 noop_with_empty_axes (opset 18)', noop('ReduceL1'), [away([2, 3])], 18],
  ['ReduceSumSquare axes attribute, keepdims 0 (opset 17)', un('ReduceSumSquare', { axes: [-1], keepdims: 0 }), [{ shape: [2, 3, 4] }]],
  ['ReduceSumSquare axes input (opset 18)', axesIn('ReduceSumSquare', [1]), [{ shape: [2, 3, 4] }], 18],
  ['ReduceSumSquare noop_with_empty_axes (opset 18)', noop('ReduceSumSquare'), [{ shape: [2, 3] }], 18],
  ['ReduceProd axes attribute (opset 17)', un('ReduceProd', { axes: [1] }), [away([2, 3, 4])]],
  ['ReduceProd axes input, keepdims 0 (opset 18)', axesIn('ReduceProd', [0, -1], 0), [away([2, 3, 2])], 18],
  ['ReduceProd all axes', un('ReduceProd'), [away([2, 3])]],
  ['ReduceProd noop_with_empty_axes (opset 18)', noop('ReduceProd'), [{ shape: [2, 3] }], 18],
  ['Sin', un('Sin'), [{ shape: [2, 3], lo: -3, hi: 3 }]],
  ['Cos', un('Cos'), [{ shape: [2, 3], lo: -3, hi: 3 }]],
  // onnxruntime-node 1.30 runs Mish from opset 18
  ['Mish (opset 18)', un('Mish'), [{ shape: [2, 5], lo: -4, hi: 4 }], 18],
  ['PRelu frozen [C, 1, 1] slope (torch nn.PReLU)', (b, [x]) => b.op('PRelu', [x, b.constF([0.25, -0.5, 2], [3, 1, 1])]), [away([2, 3, 2, 2])]],
  ['PRelu trainable [C, 1, 1] slope', (b, [x, s]) => b.op('PRelu', [x, s]), [away([2, 3, 2, 2]), { shape: [3, 1, 1] }]],
  ['PRelu scalar slope, rank 2', (b, [x, s]) => b.op('PRelu', [x, s]), [away([3, 4]), { shape: [1] }]],
  ['InstanceNormalization all inputs (opset 17, LayerNormalization)', (b, xs) => b.op('InstanceNormalization', xs, { epsilon: f(1e-3) }),
    [{ shape: [2, 3, 4, 3] }, { shape: [3] }, { shape: [3] }]],
  ['InstanceNormalization all inputs (opset 13, decomposed)', (b, xs) => b.op('InstanceNormalization', xs),
    [{ shape: [2, 3, 4, 3] }, { shape: [3] }, { shape: [3] }], 13],
  ['InstanceNormalization x only, rank 3', (b, xs) => b.op('InstanceNormalization', xs),
    [{ shape: [2, 3, 6] }, { shape: [3], diff: false }, { shape: [3], diff: false }]],
  ['GroupNormalization scale/bias per group (opset 18)', (b, xs) => b.op('GroupNormalization', xs, { num_groups: 2, epsilon: f(1e-3) }),
    [{ shape: [2, 4, 3, 2] }, { shape: [2] }, { shape: [2] }], 18],
  ['GroupNormalization scale/bias per channel (opset 21)', (b, xs) => b.op('GroupNormalization', xs, { num_groups: 2 }),
    [{ shape: [2, 6, 3, 2] }, { shape: [6] }, { shape: [6] }], 21],
  ['GroupNormalization x only, stash_type 1, rank 3 (opset 21)', (b, xs) => b.op('GroupNormalization', xs, { num_groups: 3, stash_type: 1 }),
    [{ shape: [2, 6, 5] }, { shape: [6], diff: false }, { shape: [6], diff: false }], 21],
  ['DepthToSpace DCR (default mode)', un('DepthToSpace', { blocksize: 2 }), [{ shape: [2, 8, 2, 3] }]],
  ['DepthToSpace CRD (torch PixelShuffle)', un('DepthToSpace', { blocksize: 2, mode: 'CRD' }), [{ shape: [2, 8, 3, 2] }]],
  ['DepthToSpace CRD blocksize 3', un('DepthToSpace', { blocksize: 3, mode: 'CRD' }), [{ shape: [1, 18, 2, 2] }]],
  ['SpaceToDepth blocksize 2', un('SpaceToDepth', { blocksize: 2 }), [{ shape: [2, 3, 4, 6] }]],
  ['Einsum bhwc,hkc->bhwk (relative position, H)', einsum('bhwc,hkc->bhwk'), [{ shape: [2, 3, 4, 5] }, { shape: [3, 6, 5] }]],
  ['Einsum bhwc,wkc->bhwk (relative position, W), frozen table', einsum('bhwc,wkc->bhwk'), [{ shape: [2, 3, 4, 5] }, { shape: [4, 6, 5], diff: false }]],
  ['Einsum implicit output, spaces', einsum('ij, jk'), [{ shape: [3, 4] }, { shape: [4, 2] }]],
  ['Einsum three operands', einsum('ij,jk,kl->il'), [{ shape: [2, 3] }, { shape: [3, 4] }, { shape: [4, 2] }]],
  ['Einsum one operand transpose', einsum('nchw->nhwc'), [{ shape: [2, 3, 2, 4] }]],
  // Resize on activations (U-Net / FPN decoders): nearest ×2 as torch's F.interpolate(mode='nearest') exports it
  ['Resize nearest ×2, asymmetric floor (scales)', resize({ mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' }, { scales: [1, 1, 2, 2] }),
    [{ shape: [2, 3, 3, 4] }]],
  ['Resize linear ×2, half_pixel (bilinear)', resize({ mode: 'linear' }, { scales: [1, 1, 2, 2] }), [{ shape: [1, 2, 3, 4] }]],
  ['Resize linear to 5×7, align_corners (sizes)', resize({ mode: 'linear', coordinate_transformation_mode: 'align_corners' }, { sizes: [2, 3, 5, 7] }),
    [{ shape: [2, 3, 3, 4] }]],
  ['Resize cubic down 8×6 → 5×4, exclude_outside', resize({ mode: 'cubic', cubic_coeff_a: f(-0.5), exclude_outside: 1 }, { sizes: [1, 2, 5, 4] }),
    [{ shape: [1, 2, 8, 6] }]],
  ['Resize cubic up, pytorch_half_pixel, width only', resize({ mode: 'cubic', coordinate_transformation_mode: 'pytorch_half_pixel' }, { sizes: [2, 1, 3, 9] }),
    [{ shape: [2, 1, 3, 4] }]],
  ['Resize linear antialias down 9×7 → 4×3 (opset 18)', resize({ mode: 'linear', antialias: 1 }, { sizes: [1, 2, 4, 3] }), [{ shape: [1, 2, 9, 7] }], 18],
  ['Resize cubic antialias down 8×8 → 3×5 (opset 18)', resize({ mode: 'cubic', antialias: 1 }, { sizes: [1, 1, 3, 5] }), [{ shape: [1, 1, 8, 8] }], 18],
  ['Resize only the channel axis, linear (sizes)', resize({ mode: 'linear' }, { sizes: [2, 6, 3] }), [{ shape: [2, 4, 3] }]],
];

describe('gradcheck: vision rules', () => {
  for (const [name, build, inputs, opset] of rows) {
    it(name, async () => {
      const r = await gradcheck(run, build, inputs, { opset: opset ?? 17 });
      if (process.env.SHOW_GC) console.log(name, r.analytic.toFixed(5), r.numeric.toFixed(5), r.relError.toExponential(2));
      expect(r.relError, `${name}: analytic ${r.analytic} numeric ${r.numeric}`).toBeLessThan(TOL);
    });
  }

  it('ReduceL2 of a zero slice has a zero gradient (no 0/0), as torch.norm', async () => {
    const { g, gradNames } = buildCheck(un('ReduceL2', { axes: [1] }), [{ shape: [2, 3] }], 17);
    const feeds: Record<string, Tensor> = { x0: fromNumbers('float32', [2, 3], [0, 0, 0, 3, 0, -4]), cotangent: fromNumbers('float32', [2, 1], [2, 10]) };
    const dx = Array.from((await run(g, feeds))[gradNames[0]].data as Float32Array);
    dx.forEach((v, i) => expect(v).toBeCloseTo([0, 0, 0, 6, 0, -8][i], 6));
  });

  it('refuses what it cannot differentiate, naming the node and the equation or attribute', async () => {
    await expect(gradcheck(run, einsum('ii->i'), [{ shape: [3, 3] }])).rejects.toThrow(/Einsum .* equation 'ii->i' repeats a label/);
    await expect(gradcheck(run, einsum('ij,jk->k'), [{ shape: [2, 3] }, { shape: [3, 4] }])).rejects.toThrow(/equation 'ij,jk->k' sums label 'i' over operand 0 alone/);
    await expect(gradcheck(run, einsum('...ij,jk->...ik'), [{ shape: [2, 3] }, { shape: [3, 4] }])).rejects.toThrow(/Einsum .* has an ellipsis/);
    await expect(gradcheck(run, un('DepthToSpace', { blocksize: 2, mode: 'XYZ' }), [{ shape: [1, 4, 2, 2] }])).rejects.toThrow(/DepthToSpace .* unknown mode 'XYZ'/);
    await expect(gradcheck(run, (b, xs) => b.op('GroupNormalization', xs, { num_groups: 4 }), [{ shape: [1, 6, 2] }, { shape: [4] }, { shape: [4] }], { opset: 18 }))
      .rejects.toThrow(/GroupNormalization .* num_groups=4 does not divide 6 channels/);
  });
});

describe('vision gradients stay WebGPU-safe', () => {
  it('float32 (or bool) results only, no Shape op, no variadic Sum', () => {
    for (const [name, build, inputs, opset] of rows) {
      for (const n of buildCheck(build, inputs, opset ?? 17).gradNodes) {
        const where = `${name}: ${n.opType} '${n.name}'`;
        expect(['Shape', 'Sum', 'Sign'], where).not.toContain(n.opType);
        for (const o of n.outputs) expect(['float32', 'bool'], `${where} → ${o.dtype}`).toContain(o.dtype);
      }
    }
  });
});
