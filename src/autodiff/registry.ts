// The one list of gradient rules: every rule file under rules/ is imported and registered here.
import type { RuleSpec } from './types.ts';
// -- core
import { rule as Add } from './rules/Add.ts';
import { rule as Mul } from './rules/Mul.ts';
import { rule as MatMul } from './rules/MatMul.ts';
import { rule as Relu } from './rules/Relu.ts';
import { rule as Reshape } from './rules/Reshape.ts';
// -- group math (elementwise, reductions, normalisation, attention)
import { rule as Sub } from './rules/Sub.ts';
import { rule as Div } from './rules/Div.ts';
import { rule as Neg } from './rules/Neg.ts';
import { rule as Pow } from './rules/Pow.ts';
import { rule as Sqrt } from './rules/Sqrt.ts';
import { rule as Exp } from './rules/Exp.ts';
import { rule as Log } from './rules/Log.ts';
import { rule as Reciprocal } from './rules/Reciprocal.ts';
import { rule as Erf } from './rules/Erf.ts';
import { rule as Sigmoid } from './rules/Sigmoid.ts';
import { rule as Tanh } from './rules/Tanh.ts';
import { rule as Gelu } from './rules/Gelu.ts';
import { rule as Softplus } from './rules/Softplus.ts';
import { rule as Clip } from './rules/Clip.ts';
import { rule as Where } from './rules/Where.ts';
import { rule as Cast } from './rules/Cast.ts';
import { rule as Identity } from './rules/Identity.ts';
import { rule as Dropout } from './rules/Dropout.ts';
import { rule as Softmax } from './rules/Softmax.ts';
import { rule as LogSoftmax } from './rules/LogSoftmax.ts';
import { rule as ReduceSum } from './rules/ReduceSum.ts';
import { rule as ReduceMean } from './rules/ReduceMean.ts';
import { rule as ReduceMax } from './rules/ReduceMax.ts';
import { rule as ReduceLogSumExp } from './rules/ReduceLogSumExp.ts';
import { rule as LayerNormalization } from './rules/LayerNormalization.ts';
import { rule as Gemm } from './rules/Gemm.ts';
import { rule as Max } from './rules/Max.ts';
import { rule as Min } from './rules/Min.ts';
import { rule as Abs } from './rules/Abs.ts';
import { rule as HardSigmoid } from './rules/HardSigmoid.ts';
import { rule as HardSwish } from './rules/HardSwish.ts';
import { rule as LeakyRelu } from './rules/LeakyRelu.ts';
import { rule as Elu } from './rules/Elu.ts';
// -- end group math
// -- group structure (conv, pooling, batch norm, shape and indexing ops)
import { rule as AveragePool } from './rules/AveragePool.ts';
import { rule as BatchNormalization } from './rules/BatchNormalization.ts';
import { rule as Concat } from './rules/Concat.ts';
import { rule as Conv } from './rules/Conv.ts';
import { rule as ConvTranspose } from './rules/ConvTranspose.ts';
import { rule as Expand } from './rules/Expand.ts';
import { rule as Flatten } from './rules/Flatten.ts';
import { rule as Gather } from './rules/Gather.ts';
import { rule as GlobalAveragePool } from './rules/GlobalAveragePool.ts';
import { rule as GlobalMaxPool } from './rules/GlobalMaxPool.ts';
import { rule as MaxPool } from './rules/MaxPool.ts';
import { rule as Pad } from './rules/Pad.ts';
import { rule as Slice } from './rules/Slice.ts';
import { rule as Split } from './rules/Split.ts';
import { rule as Squeeze } from './rules/Squeeze.ts';
import { rule as Tile } from './rules/Tile.ts';
import { rule as Resize } from './rules/Resize.ts';
import { rule as Transpose } from './rules/Transpose.ts';
import { rule as Unsqueeze } from './rules/Unsqueeze.ts';
// -- end group structure
// -- group vision (reductions, activations, normalisations and layout ops of newer backbones)
import { rule as ReduceL2 } from './rules/ReduceL2.ts';
import { rule as ReduceL1 } from './rules/ReduceL1.ts';
import { rule as ReduceSumSquare } from './rules/ReduceSumSquare.ts';
import { rule as ReduceProd } from './rules/ReduceProd.ts';
import { rule as Sin } from './rules/Sin.ts';
import { rule as Cos } from './rules/Cos.ts';
import { rule as Mish } from './rules/Mish.ts';
import { rule as PRelu } from './rules/PRelu.ts';
import { rule as InstanceNormalization } from './rules/InstanceNormalization.ts';
import { rule as GroupNormalization } from './rules/GroupNormalization.ts';
import { rule as DepthToSpace } from './rules/DepthToSpace.ts';
import { rule as SpaceToDepth } from './rules/SpaceToDepth.ts';
import { rule as Einsum } from './rules/Einsum.ts';
// -- end group vision

const ALL: RuleSpec[] = [
  Add, Mul, MatMul, Relu, Reshape,
  // -- list math
  Sub, Div, Neg, Pow, Sqrt, Exp, Log, Reciprocal, Erf, Sigmoid, Tanh, Gelu,
  Softplus, Clip, Where, Cast, Identity, Dropout, Softmax, LogSoftmax, ReduceSum, ReduceMean, ReduceMax, ReduceLogSumExp,
  LayerNormalization, Gemm, Max, Min, Abs, HardSigmoid, HardSwish, LeakyRelu, Elu,
  // -- end list math
  // -- list structure
  AveragePool, BatchNormalization, Concat, Conv, ConvTranspose, Expand, Flatten, Gather, GlobalAveragePool,
  GlobalMaxPool, MaxPool, Pad, Slice, Split, Squeeze, Tile, Transpose, Unsqueeze,
  // -- end list structure
  // -- list vision
  ReduceL2, ReduceL1, ReduceSumSquare, ReduceProd, Sin, Cos, Mish, PRelu, InstanceNormalization, GroupNormalization,
  DepthToSpace, SpaceToDepth, Einsum, Resize,
  // -- end list vision
];

const RULES = new Map<string, RuleSpec>(ALL.map((r) => [r.op, r]));

export function getRule(op: string): RuleSpec | undefined {
  return RULES.get(op);
}

export function supportedGradientOps(): string[] {
  return [...RULES.keys()].sort();
}
