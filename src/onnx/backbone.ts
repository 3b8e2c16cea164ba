// Loading a real backbone: the ONNX files users bring from the model hubs (Model Zoo opset-7 ResNets,
// transformers.js/optimum exports with free input sizes, fixed-batch timm exports, fp16 and quantized variants,
// feature extractors) normalised, once, into the canonical backbone the engine compiles: float32, opset ≥ 13,
// input [b, 3, L, L], one output (logits, or the feature vector of a feature extractor). Each step is a pass in
// passes/ with its invariants; this file only orders them, picks L and records what loading did — as lines for
// `inspect` and the studio, and in the model's metadata so that a canonical model is recognised (and kept as is)
// when it is loaded again. A fixed batch dimension is kept here and re-specialised per compiled batch size in
// load.ts (passes/rebatch), or, where it cannot be, said so (batches then run as micro-batches of it). A model
// with external data (weights in data files beside it) is read through the resolver of those files and comes back
// self-contained (over protobuf's 2 GiB: its weights kept in memory, onnx/session-model.ts encodeInProcess).
import { decodeModel } from './codec.ts';
import { OnnxFormatError } from './errors.ts';
import type { ExternalResolver } from './external.ts';
import { encodeInProcess } from './session-model.ts';
import type { Graph } from './ir.ts';
import { auditAttributes } from './passes/audit-attributes.ts';
import { canonicalize } from './passes/canonicalize.ts';
import { convHeadToGemm } from './passes/conv-head.ts';
import { removeDeadNodes } from './passes/dce.ts';
import { dequantize, isQuantized } from './passes/dequantize.ts';
import { featureOutput } from './passes/feature-output.ts';
import { nhwcInput } from './passes/nhwc-input.ts';
import { nativeInputSize, pinInput } from './passes/pin-input.ts';
import { rebatchRefusal } from './passes/rebatch.ts';
import { foldWeightStandardization } from './passes/standardize-weights.ts';
import { toposort } from './passes/toposort.ts';
import { hasFloat16, upcastFloat16 } from './passes/upcast-fp16.ts';
import { upgradeOpset } from './passes/upgrade-opset.ts';

export const DEFAULT_INPUT_SIZE = 224;
const NOTES_KEY = 'vp.loaded', SIZE_KEY = 'vp.input_size';

export interface BackboneLoadOptions {
  /** The user's choice of L (--input-size, the studio's field). */
  inputSize?: number;
  /** L from the model's preprocessor_config.json, if it came with one. */
  preprocessorSize?: number;
  /** Keep a feature extractor's outputs as they are (`grad` differentiates the file's own first output). */
  keepOutputs?: boolean;
  /** The model's external data files by location (model.onnx_data …), for a model that keeps its weights there. */
  external?: ExternalResolver;
}

export interface InputSize {
  size: number;
  /** Where L came from. */
  source: 'option' | 'graph' | 'preprocessor' | 'default';
  /** Whether the graph fixes L (then no other size can be chosen). */
  fixed: boolean;
  why: string;
}

/** How far the loaded backbone may differ from the file (max |Δ| / max |file output|), and why. */
export interface LoadTolerance { rel: number; why: string }
/** float32 arithmetic in another order (and constants folded in float64). */
export const EXACT_TOLERANCE: LoadTolerance = { rel: 1e-4, why: 'float32 rounding' };

export interface LoadedBackbone { bytes: Uint8Array; notes: string[]; inputSize: InputSize; tolerance: LoadTolerance }

/** What loading recorded in a canonical backbone's metadata, or undefined for a model that never went through it. */
export function loadRecord(g: Graph): { notes: string[]; inputSize: InputSize } | undefined {
  if (g.metadata[NOTES_KEY] === undefined) return undefined;
  // a file from outside may carry these keys too: what it says is checked before it is believed
  const parsed = (key: string): unknown => { try { return JSON.parse(g.metadata[key] ?? ''); } catch { return undefined; } };
  const notes = parsed(NOTES_KEY), size = parsed(SIZE_KEY) as Partial<InputSize> | undefined;
  const ok = Array.isArray(notes) && notes.every((n) => typeof n === 'string') && !!size && typeof size === 'object'
    && Number.isSafeInteger(size.size) && size.size! > 0 && typeof size.fixed === 'boolean' && typeof size.why === 'string';
  if (!ok) throw new OnnxFormatError(`the model's metadata '${NOTES_KEY}' / '${SIZE_KEY}' is not what vp-studio writes (edited by hand?)`);
  return { notes: notes as string[], inputSize: size as InputSize };
}

function chooseSize(g: Graph, o: BackboneLoadOptions): InputSize {
  const native = nativeInputSize(g);
  if (native) {
    if (o.inputSize !== undefined && o.inputSize !== native.size) throw new Error(`input size ${o.inputSize} does not fit this backbone: its ${native.why} fix it at ${native.size}`);
    return { size: native.size, source: 'graph', fixed: true, why: native.why };
  }
  if (o.inputSize !== undefined) {
    if (!(Number.isInteger(o.inputSize) && o.inputSize >= 8 && o.inputSize <= 1024)) throw new Error(`input size must be an integer from 8 to 1024, got ${o.inputSize}`);
    return { size: o.inputSize, source: 'option', fixed: false, why: 'chosen' };
  }
  if (o.preprocessorSize) return { size: o.preprocessorSize, source: 'preprocessor', fixed: false, why: 'the model\'s preprocessor_config.json' };
  return { size: DEFAULT_INPUT_SIZE, source: 'default', fixed: false, why: 'the default for a free input size' };
}

/** Normalises model bytes into the canonical backbone; bytes that are already canonical at that size come back as is. */
export function loadBackbone(bytes: Uint8Array, o: BackboneLoadOptions = {}): LoadedBackbone {
  let usedExternal = false;
  const g = decodeModel(bytes, { external: o.external && ((location) => { usedExternal = true; return o.external!(location); }) });
  const sub = g.nodes.find((n) => Object.values(n.attrs).some((a) => a.type === 'graph'));
  if (sub) throw new Error(`unsupported op ${sub.opType} (node '${sub.name}'): control flow with subgraphs is not supported`);
  const x = g.inputs[0];
  if (!x) throw new Error('model has no inputs');
  const done = loadRecord(g);
  if (done) {
    const size = done.inputSize;
    if (o.inputSize === undefined || o.inputSize === size.size) {
      // a canonical model with external data comes back self-contained (the engine compiles bytes alone)
      const inline = usedExternal ? encodeInProcess(g) : bytes;
      return { bytes: inline, notes: done.notes, inputSize: size, tolerance: EXACT_TOLERANCE };
    }
    if (size.fixed) throw new Error(`input size ${o.inputSize} does not fit this backbone: its ${size.why} fix it at ${size.size}`);
  }
  const notes: string[] = [];
  let tolerance = EXACT_TOLERANCE;
  const before = `[${x.shape ?? '?'}]`;
  toposort(g);
  canonicalize(g);
  if (isQuantized(g)) {
    // weights: the integer products (dynamic quantization) and the DequantizeLinear of a constant (QDQ); activations:
    // DynamicQuantizeLinear, and QDQ's QuantizeLinear of a computed value
    const count = g.nodes.filter((n) => n.opType === 'MatMulInteger' || n.opType === 'ConvInteger' || (n.opType === 'DequantizeLinear' && n.inputs[0]?.constant)).length;
    const acts = g.nodes.filter((n) => n.opType === 'DynamicQuantizeLinear' || (n.opType === 'QuantizeLinear' && !n.inputs[0]?.constant)).length;
    dequantize(g);
    notes.push(`dequantized: ${count} quantized weights rewritten as float32 MatMul/Conv; ${acts} activation quantizations dropped`);
    // measured 5.6e-3 on the 2-layer quantized ViT stand-in; deeper files round their activations more often
    tolerance = { rel: 0.2, why: 'activation quantization dropped' };
  }
  if (hasFloat16(g)) {
    upcastFloat16(g);
    notes.push('upcast: float16 weights and activations computed in float32');
    if (tolerance === EXACT_TOLERANCE) tolerance = { rel: 3e-2, why: 'the file computes in float16' };
  }
  const opset = g.opset;
  if (upgradeOpset(g)) notes.push(`upgraded opset ${opset} → ${g.opset}`);
  removeDeadNodes(g);
  const standardized = foldWeightStandardization(g);
  if (standardized) notes.push(`weight standardisation: ${standardized} BatchNormalization(training_mode=1) of constant weights folded (timm StdConv2d)`);
  notes.push(...nhwcInput(g));
  if (convHeadToGemm(g)) notes.push('head: the 1×1 Conv classifier read as a linear layer (Gemm)');
  const features = o.keepOutputs ? undefined : featureOutput(g);
  if (features) notes.push(`features for lp: ${features} (no classifier: fm, flm and ilm need one)`);
  const size = chooseSize(g, o);
  if (pinInput(g, size.size)) notes.push(`input '${x.name}' ${before} pinned to [${x.shape![0]},3,${size.size},${size.size}] (L = ${size.size} from ${size.why})`);
  else notes.push(`input '${x.name}' ${before} (L = ${size.size} from ${size.why})`);
  const fixed = x.shape![0];
  if (typeof fixed === 'number') {
    // asked of a copy: re-batching folds and rewrites the graph
    const why = rebatchRefusal(decodeModel(encodeInProcess(g)));
    notes.push(why === undefined ? `fixed batch ${fixed} in the file: re-specialised to each batch size when compiled`
      : `fixed batch ${fixed} in the file cannot be re-specialised (${why}): batches run as micro-batches of ${fixed}, gradients accumulated`);
  }
  removeDeadNodes(g);
  auditAttributes(g);
  toposort(g);
  g.metadata[NOTES_KEY] = JSON.stringify(notes);
  g.metadata[SIZE_KEY] = JSON.stringify(size);
  return { bytes: encodeInProcess(g), notes, inputSize: size, tolerance };
}
