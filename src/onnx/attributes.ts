// The attributes this project honours, per ONNX op type (default domain): every attribute a node carries is either
// read by the code that processes that op — the host evaluator that folds it (evaluate.ts, resize.ts), shape
// inference (shapes.ts), its gradient rule (autodiff/rules/<Op>.ts) — with the values that code implements, or the
// model is refused naming it (passes/audit-attributes.ts). An attribute that is silently ignored makes us train a
// model that differs from the file (opset-18 Resize `antialias` was the case that taught this).
// `true`: every value is honoured; `false`: known but refused whatever its value; a list: the values honoured (ints
// or strings); ops absent here are not
// audited (nothing of ours reads them: onnxruntime runs them, and a missing gradient rule is reported elsewhere).
type Allowed = boolean | readonly (number | string)[];
export type AttrTable = Readonly<Record<string, Readonly<Record<string, Allowed>>>>;

const none = {} as const;
const pool = { auto_pad: true, ceil_mode: true, dilations: true, kernel_shape: true, pads: true, strides: true } as const;
const conv = { auto_pad: true, dilations: true, group: true, kernel_shape: true, pads: true, strides: true } as const;
const reduce = { axes: true, keepdims: true, noop_with_empty_axes: true } as const;

export const ATTRIBUTES: AttrTable = {
  // elementwise maths with no attributes
  Abs: none, Add: none, Sub: none, Mul: none, Div: none, Neg: none, Pow: none, Sqrt: none, Exp: none, Log: none,
  Reciprocal: none, Erf: none, Sigmoid: none, Tanh: none, Relu: none, Identity: none, Max: none, Min: none,
  Where: none, MatMul: none, Expand: none, Softplus: none, HardSwish: none, Sin: none, Cos: none, Mish: none,
  PRelu: none, Floor: none, Not: none, And: none, Equal: none, LessOrEqual: none, Less: none, Greater: none,
  GreaterOrEqual: none, Size: none, Range: none, Tile: none, GlobalAveragePool: none, GlobalMaxPool: none,
  // Mod on the host is Python's (sign of the divisor): fmod = 0
  Mod: { fmod: [0] },
  Gelu: { approximate: ['none', 'tanh'] },
  Clip: { min: true, max: true },
  Cast: { to: true, saturate: true },
  // inference: an identity (canonicalize bypasses it); a training-mode Dropout is differentiated with its mask
  Dropout: { ratio: true, seed: true },
  Softmax: { axis: true }, LogSoftmax: { axis: true },
  ReduceSum: reduce, ReduceMean: reduce, ReduceMax: reduce, ReduceLogSumExp: reduce, ReduceProd: reduce,
  ReduceL2: reduce, ReduceL1: reduce, ReduceSumSquare: reduce, ReduceMin: reduce,
  LayerNormalization: { axis: true, epsilon: true, stash_type: true },
  InstanceNormalization: { epsilon: true }, GroupNormalization: { epsilon: true, num_groups: true, stash_type: true },
  DepthToSpace: { blocksize: true, mode: ['DCR', 'CRD'] }, SpaceToDepth: { blocksize: true },
  // the equations the rule can differentiate are checked by the rule itself, naming the equation
  Einsum: { equation: true },
  Gemm: { alpha: true, beta: true, transA: true, transB: true },
  HardSigmoid: { alpha: true, beta: true }, LeakyRelu: { alpha: true }, Elu: { alpha: true },
  AveragePool: { ...pool, count_include_pad: true },
  // storage_order only lays out the Indices output, which the gradient never uses
  MaxPool: { ...pool, storage_order: true },
  BatchNormalization: { epsilon: true, momentum: true, spatial: [1], training_mode: [0] },
  Conv: conv,
  ConvTranspose: { ...conv, output_padding: true, auto_pad: ['NOTSET'], output_shape: false },
  Concat: { axis: true }, Flatten: { axis: true }, Gather: { axis: true }, Split: { axis: true, split: true, num_outputs: true },
  Pad: { mode: ['constant'], pads: true, value: true },
  Reshape: { allowzero: true }, Slice: { starts: true, ends: true, axes: true },
  Squeeze: { axes: true }, Unsqueeze: { axes: true }, Transpose: { perm: true },
  Shape: { start: true, end: true }, ConstantOfShape: { value: true },
  // folded on the host only (evaluate.ts): the plain overwrite
  ScatterND: { reduction: ['none'] },
  // folded on the host only (resize.ts): the modes and coordinate transforms it implements; antialias for
  // linear/cubic downscaling as onnxruntime does it; no `axes`; sizes are taken as given (keep_aspect_ratio_policy
  // stretch); extrapolation_value only matters for tf_crop_and_resize, which is refused
  Resize: {
    mode: ['nearest', 'linear', 'cubic'],
    coordinate_transformation_mode: ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric'],
    nearest_mode: ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil'],
    cubic_coeff_a: true, exclude_outside: true, antialias: [0, 1], keep_aspect_ratio_policy: ['stretch'],
    extrapolation_value: true,
  },
};

const show = (v: unknown) => (typeof v === 'string' ? `'${v}'` : Array.isArray(v) ? `[${v.join(',')}]` : String(v));

/** Why a node's attribute is not honoured (one line, naming the op, the node and the attribute), or undefined. */
export function unsupportedAttribute(opType: string, name: string, attrs: Record<string, { type: string; value?: unknown }>, table: AttrTable = ATTRIBUTES): string | undefined {
  const spec = table[opType];
  if (!spec) return undefined;
  for (const [k, a] of Object.entries(attrs)) {
    const allowed = spec[k];
    const value = a.value;
    if (allowed === undefined) return `${opType} '${name}': attribute ${k}=${show(value)} is not supported (nothing here honours it)`;
    if (allowed === true) continue;
    if (allowed === false) return `${opType} '${name}': attribute ${k}=${show(value)} is not supported`;
    if (!allowed.includes(value as number | string)) return `${opType} '${name}': attribute ${k}=${show(value)} is not supported (honoured: ${allowed.map(show).join(', ')})`;
  }
  return undefined;
}
