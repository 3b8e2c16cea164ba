// Optimiser updates as graph nodes, with PyTorch semantics.
// SGD(momentum μ, weight decay λ): g ← g + λp; buf ← μ·buf + g (buf starts at 0, so the first step gives buf = g
// exactly as PyTorch's clone); p ← p − lr·buf. With μ = 0 there is no buffer.
// AdamW(β1, β2, ε, λ): p ← p·(1 − lr·λ); m ← β1 m + (1−β1) g; v ← β2 v + (1−β2) g²;
// p ← p − (lr / bc1) · m / (√v / √bc2 + ε), bc_i = 1 − β_iᵗ — the host feeds lr, lr/bc1 and √bc2 each step.
import type { Builder } from '../onnx/builder.ts';
import type { Value } from '../onnx/ir.ts';
import type { OptimizerKind } from './config.ts';

export interface OptimSettings { kind: OptimizerKind; momentum: number; weightDecay: number; beta1: number; beta2: number; eps: number }

export const ADAM = { beta1: 0.9, beta2: 0.999, eps: 1e-8 };

/** Names of the state tensors an optimiser keeps per parameter. */
export function stateNames(o: OptimSettings): string[] {
  if (o.kind === 'adamw') return ['m', 'v'];
  return o.momentum !== 0 ? ['buf'] : [];
}

export interface Hyper { lr: Value; stepSize: Value; sqrtBc2: Value }

/** Emits the update of one parameter; returns the new parameter and new states (same order as stateNames). */
export function emitUpdate(b: Builder, o: OptimSettings, h: Hyper, p: Value, g: Value, states: Value[]): { p: Value; states: Value[] } {
  const s = (x: number) => b.scalar(x);
  if (o.kind === 'sgd') {
    let gg = o.weightDecay !== 0 ? b.add(g, b.mul(p, s(o.weightDecay))) : g;
    const out: Value[] = [];
    if (o.momentum !== 0) {
      gg = b.add(b.mul(states[0], s(o.momentum)), gg);
      out.push(gg);
    }
    return { p: b.sub(p, b.mul(gg, h.lr)), states: out };
  }
  const decayed = o.weightDecay !== 0 ? b.mul(p, b.sub(s(1), b.mul(h.lr, s(o.weightDecay)))) : p;
  const m = b.add(b.mul(states[0], s(o.beta1)), b.mul(g, s(1 - o.beta1)));
  const v = b.add(b.mul(states[1], s(o.beta2)), b.mul(b.mul(g, g), s(1 - o.beta2)));
  const denom = b.add(b.div(b.op('Sqrt', [v]), h.sqrtBc2), s(o.eps));
  const np = b.sub(decayed, b.mul(h.stepSize, b.div(m, denom)));
  return { p: np, states: [m, v] };
}

/** Host-side per-step hyper-parameters (t counts from 1). */
export function hyperValues(o: OptimSettings, lr: number, t: number): { lr: number; stepSize: number; sqrtBc2: number } {
  const bc1 = 1 - o.beta1 ** t, bc2 = 1 - o.beta2 ** t;
  return { lr, stepSize: lr / bc1, sqrtBc2: Math.sqrt(bc2) };
}
