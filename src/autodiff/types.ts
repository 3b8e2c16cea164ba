// The vocabulary of gradient rules (after onnxruntime's gradient builders): forward inputs I(i), forward
// outputs O(i), incoming output gradients GO(i); a rule returns the input gradients GI(i) (null when none).
// A rule may return a gradient in the broadcast shape of its output: the backward walk reduces it.
import type { Builder } from '../onnx/builder.ts';
import type { Node, Value } from '../onnx/ir.ts';

export interface GradCtx {
  readonly b: Builder;
  readonly node: Node;
  readonly opset: number;
  I(i: number): Value;
  O(i: number): Value;
  /** Gradient flowing into output i, or null when no gradient reaches it. */
  GO(i: number): Value | null;
  /** Whether input i needs a gradient (the weights of a frozen backbone do not). */
  needs(i: number): boolean;
}

export type GradRule = (ctx: GradCtx) => (Value | null | undefined)[];

export interface RuleSpec {
  op: string;
  grad: GradRule;
  /** Inputs that never carry a gradient (indices, shapes, axes). */
  nondiff?: number[];
}
