// The train-step compiler: frozen backbone + prompt + head (+ cross-entropy, backward and optimiser update) as
// ONE ONNX graph whose inputs are the image batch, labels, trainable tensors, optimiser state and the epoch's
// running metric sums, and whose outputs are the loss and the updated tensors, state and sums — so everything
// but the loss stays on the device (and the loss is read back only when shown).
// Also the forward-only evaluation graph and the deployable model with prompt and head baked in.
import { backward } from '../autodiff/backward.ts';
import { Builder } from '../onnx/builder.ts';
import { assertValid } from '../onnx/checker.ts';
import { decodeModel } from '../onnx/codec.ts';
import type { SessionModel } from '../onnx/external.ts';
import { encodeFile } from '../onnx/session-model.ts';
import { Graph, type Value } from '../onnx/ir.ts';
import { loadRecord } from '../onnx/backbone.ts';
import { prepareGraph } from '../onnx/load.ts';
import { rebatchRefusal } from '../onnx/passes/rebatch.ts';
import { removeDeadNodes } from '../onnx/passes/dce.ts';
import { outputsByKernel } from '../onnx/passes/output-kernels.ts';
import { fuseGelu, lowerGelu } from '../onnx/passes/fuse-gelu.ts';
import { foldScaleIntoGemm } from '../onnx/passes/fold-scale.ts';
import { toposort } from '../onnx/passes/toposort.ts';
import type { Tensor } from '../onnx/tensor.ts';
import { analyze, type Analysis, type Family } from './analyze.ts';
import { batchSkeleton, symbolizeBatch } from './symbolic-batch.ts';
import { validateConfig, type TrainConfig } from './config.ts';
import { linearInit, Rng, uniformTensor } from './init.ts';
import { accumulateMetrics, crossEntropy } from './loss.ts';
import { ADAM, emitUpdate, stateNames, type OptimSettings } from './optim.ts';
import { applyLorvp, lorvpParams } from './prompts/lorvp.ts';
import { PAD_NAMES, padFrame, padParams } from './prompts/pad.ts';
import { insertVptTokens, patchSize, vptInitBound } from './prompts/vpt.ts';

export interface BackboneInfo {
  family: Family;
  inputName: string;
  inputSize: number;
  /** Batch size baked into the export, if any. */
  fixedBatch: number | undefined;
  /** Why that fixed batch cannot be re-specialised (the node that mixes it), or undefined: then every graph is
   * compiled at the fixed batch and a batch runs as micro-batches of it (`batchFor`). */
  rebatchRefusal?: string;
  numSourceClasses: number | undefined;
  featureWidth: number | undefined;
  /** Set for a feature extractor (no classifier): what the lp head reads. */
  featureSource: string | undefined;
  /** What loading did to the file (onnx/backbone.ts), one line each; empty for a model that needed nothing. */
  loadNotes: string[];
  /** Whether the graph fixes the input size (a ViT's position embeddings); else another L can be chosen. */
  inputSizeFixed: boolean;
  vit: { width: number; depth: number; patch: number; numPatches: number } | undefined;
  params: number;
}

const infoCache = new WeakMap<Uint8Array, BackboneInfo>();

/** The backbone's description, computed once per model buffer (decoding and analysing a large ViT is costly, and a
 * run compiles several graphs from the same bytes). The buffer must not be mutated afterwards. */
export function backboneInfo(bytes: Uint8Array): BackboneInfo {
  return infoCache.get(bytes) ?? describeBackbone(bytes).info;
}

export function describeBackbone(bytes: Uint8Array): { info: BackboneInfo; graph: Graph; analysis: Analysis } {
  const raw = decodeModel(bytes);
  const x = raw.inputs[0];
  if (!x) throw new Error('model has no inputs');
  const s = x.shape;
  if (!s || s.length !== 4 || s[1] !== 3 || typeof s[2] !== 'number' || s[2] !== s[3]) throw new Error(`model input '${x.name}' has shape [${s}]; a square RGB NCHW input [N,3,L,L] with a fixed L is needed`);
  const fixedBatch = typeof s[0] === 'number' ? s[0] : undefined;
  const g = prepareGraph(raw, { batch: fixedBatch ?? 1 });
  const a = analyze(g);
  const out = a.output.shape;
  const record = loadRecord(raw);
  const info: BackboneInfo = {
    family: a.family, inputName: x.name, inputSize: s[2], fixedBatch,
    rebatchRefusal: fixedBatch === undefined ? undefined : rebatchRefusal(decodeModel(bytes)),
    numSourceClasses: out && out.length === 2 && !a.featureSource ? (out[1] as number) : undefined,
    featureWidth: a.featureWidth,
    featureSource: a.featureSource,
    loadNotes: record?.notes ?? [],
    inputSizeFixed: record?.inputSize.fixed ?? true,
    vit: a.vit && { width: a.vit.width, depth: a.vit.blocks.length, patch: patchSize(g), numPatches: a.vit.numPatches },
    params: a.params,
  };
  infoCache.set(bytes, info);
  return { info, graph: g, analysis: a };
}

/** The batch a graph of this backbone is compiled at to run batches of `want`: `want`, or the file's fixed batch
 * when it cannot be re-batched (the caller runs micro-batches of it). */
export const batchFor = (info: BackboneInfo, want: number): number => (info.rebatchRefusal ? info.fixedBatch! : want);

/** What validateConfig needs to know of a backbone. */
export const configBackbone = (info: BackboneInfo) => ({ family: info.family, inputSize: info.inputSize, numSourceClasses: info.numSourceClasses, hasFeatures: !!info.featureWidth, featureExtractor: !!info.featureSource });

export function optimSettings(c: TrainConfig): OptimSettings {
  return { kind: c.optimizer, momentum: c.momentum, weightDecay: c.weightDecay, ...ADAM };
}

/** Fresh trainable tensors for a configuration (PyTorch layouts, the names of the CLI contract). */
export function initParams(c: TrainConfig, info: BackboneInfo, numClasses: number): Record<string, Tensor> {
  const rng = new Rng(c.seed);
  const L = info.inputSize;
  const p: Record<string, Tensor> = {};
  if (c.method === 'lorvp') Object.assign(p, lorvpParams(L, c.rank, c.init, rng));
  if (c.method === 'pad') Object.assign(p, padParams(L, c.padWidth, rng));
  if (c.method === 'vpt' || c.method === 'vpt-deep') {
    const v = info.vit!, bound = vptInitBound(v.patch, v.width);
    p['prompt.tokens'] = uniformTensor([c.tokens, v.width], rng, bound);
    if (c.method === 'vpt-deep' && v.depth > 1) p['prompt.deep'] = uniformTensor([v.depth - 1, c.tokens, v.width], rng, bound);
  }
  if (c.head === 'lp' || c.head === 'fm') {
    const inp = c.head === 'lp' ? info.featureWidth! : info.numSourceClasses!;
    const { weight, bias } = linearInit(numClasses, inp, rng);
    p['head.weight'] = weight;
    p['head.bias'] = bias;
  }
  return p;
}

export interface GraphIO {
  images: string;
  labels?: string;
  weights?: string;
  mapping?: string;
  hyper?: { lr: string; stepSize: string; sqrtBc2: string };
  params: string[];
  /** Optimiser state input names per parameter, e.g. state.prompt.B.buf. */
  states: string[];
  loss?: string;
  logits: string;
  sourceLogits?: string;
  perSampleLoss?: string;
  /** Running sums [Σ loss, Σ correct] of the epoch (train steps): input and updated output. */
  metrics?: string;
  newMetrics?: string;
  newParams: Record<string, string>;
  newStates: Record<string, string>;
}

export interface Compiled { graph: Graph; io: GraphIO; batch: number }

/** Outputs a session keeps on the device: updated tensors, optimiser state and, for train steps, the loss and the
 * metric sums (the loss is read back only when shown). */
export const deviceOutputs = (c: Compiled): string[] =>
  [...Object.values(c.io.newParams), ...Object.values(c.io.newStates), ...(c.io.loss ? [c.io.loss, c.io.newMetrics!] : [])];

function addInput(g: Graph, name: string, dtype: Tensor['dtype'], shape: number[]): Value {
  if (g.has(name)) throw new Error(`internal: input name '${name}' is taken by the backbone`);
  const v = g.value(name);
  v.dtype = dtype; v.shape = [...shape];
  g.inputs.push(v);
  return v;
}

/** Names of the compiled graphs' own inputs and outputs; backbone values with these names are moved aside. */
const RESERVED = /^(images|labels|weights|mapping|loss|logits|source_logits|metrics(\.next)?|hp\..*|state\..*|prompt\..*|head\..*)$/;

interface Forward { g: Graph; b: Builder; logits: Value; sourceLogits: Value | undefined; params: Map<string, Value>; images: Value; mapping: Value | undefined }

/** Prompt → normalisation → frozen backbone → head, on a backbone prepared at `batch`. */
function buildForward(bytes: Uint8Array, c: TrainConfig, numClasses: number, batch: number, paramShapes: Record<string, number[]>): Forward {
  const info = backboneInfo(bytes);
  validateConfig(c, configBackbone(info), numClasses);
  const g = prepareGraph(decodeModel(bytes), { batch });
  for (const v of [...g.values.values()]) if (RESERVED.test(v.name)) g.renameValue(v, g.freshName(`backbone/${v.name}`));
  const a = analyze(g);
  const b = new Builder(g, 'vp/');
  const L = info.inputSize;
  const oldInput = a.input;
  g.inputs = g.inputs.filter((v) => v !== oldInput);
  const images = addInput(g, 'images', 'float32', [batch, 3, L, L]);
  const params = new Map<string, Value>();
  for (const [name, shape] of Object.entries(paramShapes)) params.set(name, addInput(g, name, 'float32', shape));
  let x: Value = images;
  if (c.method === 'lorvp') x = applyLorvp(b, x, params.get('prompt.B')!, params.get('prompt.A')!);
  x = b.div(b.sub(x, b.constF(c.mean, [1, 3, 1, 1], 'mean')), b.constF(c.std, [1, 3, 1, 1], 'std'));
  if (c.method === 'pad') x = b.add(x, padFrame(b, ...(PAD_NAMES.map((n) => params.get(n)!) as [Value, Value, Value, Value])));
  g.replaceAllUses(oldInput, x);
  if (c.method === 'vpt' || c.method === 'vpt-deep') insertVptTokens(g, a.vit!, params.get('prompt.tokens')!, params.get('prompt.deep'));
  toposort(g); // the prompt's nodes were appended after the backbone they feed
  const source = a.output;
  let logits: Value;
  let mapping: Value | undefined;
  if (c.head === 'lp') {
    let f = a.features!;
    if (f.dims.length !== 2) f = b.reshape(f, [batch, f.dims[f.dims.length - 1]]);
    logits = b.op('Gemm', [f, params.get('head.weight')!, params.get('head.bias')!], { transB: 1 }, 'logits');
  } else if (c.head === 'fm') {
    logits = b.op('Gemm', [source, params.get('head.weight')!, params.get('head.bias')!], { transB: 1 }, 'logits');
  } else {
    mapping = addInput(g, 'mapping', 'float32', [info.numSourceClasses!, numClasses]);
    logits = b.op('MatMul', [source, mapping], {}, 'logits');
  }
  return { g, b, logits, sourceLogits: c.head === 'lp' ? undefined : source, params, images, mapping };
}

const shapesOf = (p: Record<string, Tensor>) => Object.fromEntries(Object.entries(p).map(([k, t]) => [k, t.shape]));

export function compileTrainStep(bytes: Uint8Array, c: TrainConfig, numClasses: number, batch: number, params: Record<string, Tensor>, o: StepOptions = {}): Compiled {
  return compileStep(bytes, c, numClasses, batch, params, 'step', o);
}

/** Gradient accumulation, part 1: forward + backward on a micro-batch, adding the gradients to `accum.<name>`. */
export function compileAccumulate(bytes: Uint8Array, c: TrainConfig, numClasses: number, micro: number, params: Record<string, Tensor>): Compiled {
  return compileStep(bytes, c, numClasses, micro, params, 'accumulate');
}

/** Gradient accumulation, part 2: the optimiser update from accumulated gradients `grad.<name>` (no backbone). */
export function compileApply(c: TrainConfig, params: Record<string, Tensor>): Compiled {
  const g = new Graph();
  g.opsetImports = [{ domain: '', version: 17 }];
  const io: GraphIO = { images: '', params: [], states: [], logits: '', newParams: {}, newStates: {}, hyper: { lr: 'hp.lr', stepSize: 'hp.step_size', sqrtBc2: 'hp.sqrt_bc2' } };
  const pv = new Map<string, Value>(), gv = new Map<Value, Value>();
  for (const [k, t] of Object.entries(params)) { const p = addInput(g, k, 'float32', t.shape); pv.set(k, p); gv.set(p, addInput(g, `grad.${k}`, 'float32', t.shape)); }
  g.outputs = emitOptimizer(g, c, pv, gv, io);
  g.inputs = g.inputs.filter((v) => v.users.size > 0);
  finish(g);
  return { graph: g, io, batch: 0 };
}

/** Compiler switches for measurements and tests (the product always uses the defaults). */
export interface StepOptions { /** fuse exported GELU chains before differentiating (default true) */ fuseGelu?: boolean }

function compileStep(bytes: Uint8Array, c: TrainConfig, numClasses: number, batch: number, params: Record<string, Tensor>, mode: 'step' | 'accumulate', o: StepOptions = {}): Compiled {
  const f = buildForward(bytes, c, numClasses, batch, shapesOf(params));
  const { g, b } = f;
  const labels = addInput(g, 'labels', 'int32', [batch]);
  const weights = addInput(g, 'weights', 'float32', [batch]);
  const { loss, dlogits, perSample } = crossEntropy(b, f.logits, labels, weights);
  const metrics = accumulateMetrics(b, addInput(g, 'metrics', 'float32', [2]), f.logits, labels, weights, perSample);
  const wrt = [...f.params.values()];
  if (o.fuseGelu !== false) fuseGelu(g);   // one Gelu node per exported GELU chain: a shorter backward, and onnxruntime fuses the forward again
  const grads = backward(g, { seeds: [{ value: f.logits, grad: dlogits }], wrt, prefix: 'grad/' });
  const io: GraphIO = {
    images: 'images', labels: 'labels', weights: 'weights', mapping: f.mapping?.name,
    params: [...f.params.keys()], states: [], loss: 'loss', logits: '', metrics: 'metrics', newMetrics: 'metrics.next', newParams: {}, newStates: {},
  };
  const ob = new Builder(g, 'opt/');
  let outs: Value[];
  if (mode === 'step') {
    io.hyper = { lr: 'hp.lr', stepSize: 'hp.step_size', sqrtBc2: 'hp.sqrt_bc2' };
    outs = emitOptimizer(g, c, f.params, grads, io);
  } else {
    outs = [];
    for (const [name, p] of f.params) {
      const acc = addInput(g, `accum.${name}`, 'float32', p.dims);
      const gr = grads.get(p);
      outs.push(rename(g, gr ? ob.add(acc, gr) : acc, `accum.${name}.next`));
      io.states.push(acc.name);
      io.newStates[acc.name] = `accum.${name}.next`;
    }
  }
  g.outputs = [rename(g, loss, 'loss'), rename(g, metrics, 'metrics.next'), ...outs];
  removeDeadNodes(g);
  g.inputs = g.inputs.filter((v) => v.users.size > 0 || v.name === 'images');
  finish(g);
  return { graph: g, io, batch };
}

/** Emits the optimiser update of every parameter; returns the renamed outputs (params then states). */
function emitOptimizer(g: Graph, c: TrainConfig, params: Map<string, Value>, grads: Map<Value, Value | null>, io: GraphIO): Value[] {
  const o = optimSettings(c);
  const ob = new Builder(g, 'opt/');
  const hyper = { lr: addInput(g, 'hp.lr', 'float32', []), stepSize: addInput(g, 'hp.step_size', 'float32', []), sqrtBc2: addInput(g, 'hp.sqrt_bc2', 'float32', []) };
  const outs: Value[] = [];
  // the prompt's own learning rate: the step's lr (and Adam's step size) scaled by promptLr / lr, so it follows the schedule
  const scale = c.promptLr > 0 && c.promptLr !== c.lr ? c.promptLr / c.lr : 1;
  const promptHyper = scale === 1 ? hyper : { ...hyper, lr: ob.mul(hyper.lr, ob.scalar(scale)), stepSize: ob.mul(hyper.stepSize, ob.scalar(scale)) };
  for (const [name, p] of params) {
    const gr = grads.get(p) ?? ob.mul(p, ob.scalar(0));
    const states = stateNames(o).map((s) => addInput(g, `state.${name}.${s}`, 'float32', p.dims));
    io.states.push(...states.map((s) => s.name));
    const upd = emitUpdate(ob, o, name.startsWith('prompt.') ? promptHyper : hyper, p, gr, states);
    outs.push(rename(g, upd.p, `${name}.next`));
    io.newParams[name] = `${name}.next`;
    upd.states.forEach((sv, i) => { const n = `${states[i].name}.next`; outs.push(rename(g, sv, n)); io.newStates[states[i].name] = n; });
  }
  return outs;
}

/** Forward-only graph: logits (and source logits for label-mapping heads), params as inputs. */
export function compileEval(bytes: Uint8Array, c: TrainConfig, numClasses: number, batch: number, params: Record<string, Tensor>): Compiled {
  const f = buildForward(bytes, c, numClasses, batch, shapesOf(params));
  const { g } = f;
  const outs = [rename(g, f.logits, 'logits')];
  if (f.sourceLogits) outs.push(rename(g, f.sourceLogits, 'source_logits'));
  g.outputs = outs;
  removeDeadNodes(g);
  finish(g);
  return { graph: g, batch, io: { images: 'images', mapping: f.mapping?.name, params: [...f.params.keys()], states: [], logits: 'logits', sourceLogits: f.sourceLogits ? 'source_logits' : undefined, newParams: {}, newStates: {} } };
}

/** The deployable model and what it takes: `images` [N,3,L,L] (a symbolic batch N) or, where the backbone's graph
 * cannot take any batch, a fixed batch with `fixedBatchWhy` saying why (also in the model's doc string). */
export interface Deployable { model: SessionModel; input: (number | 'N')[]; fixedBatchWhy?: string }

/** Deployable model: [0,1] images → the user's class logits, with prompt, head and mapping baked in (over 2 GiB of
 * weights: model.onnx + model.onnx_data, onnx/session-model.ts encodeFile). Without `batch` it takes any batch
 * (engine/symbolic-batch.ts) where the backbone allows it; with `batch` it is compiled at that batch. */
export function exportDeployable(bytes: Uint8Array, c: TrainConfig, numClasses: number, params: Record<string, Tensor>, mapping: Int32Array | undefined, numSource: number | undefined, batch?: number): SessionModel {
  return deployable(bytes, c, numClasses, params, mapping, numSource, batch).model;
}

export function deployable(bytes: Uint8Array, c: TrainConfig, numClasses: number, params: Record<string, Tensor>, mapping: Int32Array | undefined, numSource: number | undefined, batch?: number): Deployable {
  const at = (b: number) => deployableGraph(bytes, c, numClasses, params, mapping, numSource, b);
  const L = backboneInfo(bytes).inputSize;
  const what = `Visual Prompt Studio: ${c.method} + ${c.head}, ${numClasses} classes`;
  let why: string | undefined;
  if (batch === undefined) {
    const info = backboneInfo(bytes);
    if (info.rebatchRefusal) why = `the backbone file fixes a batch of ${info.fixedBatch} and cannot be re-batched (${info.rebatchRefusal})`;
    else {
      // two batch sizes other than 1 (a size-1 dim is ambiguous) and other than the file's own fixed batch
      const [b1, b2] = [2, 3, 4].filter((b) => b !== info.fixedBatch);
      const other = batchSkeleton(at(b2));
      const g = at(b1);
      why = symbolizeBatch(g, b1, other, b2);
      if (!why) {
        g.docString = `${what}; input images [N,3,${L},${L}] in [0,1] (any batch N), output logits [N,${numClasses}]`;
        return { model: encodeFile(g), input: ['N', 3, L, L] };
      }
    }
    batch = info.fixedBatch ?? 1;
  }
  const g = at(batch);
  g.docString = `${what}; input images [${batch},3,${L},${L}] in [0,1], output logits [${batch},${numClasses}]${why ? ` — a fixed batch of ${batch}: ${why}` : ''}`;
  return { model: encodeFile(g), input: [batch, 3, L, L], ...(why ? { fixedBatchWhy: why } : {}) };
}

/** The evaluation graph at `batch` with the trained tensors and the mapping as constants, logits its only output. */
function deployableGraph(bytes: Uint8Array, c: TrainConfig, numClasses: number, params: Record<string, Tensor>, mapping: Int32Array | undefined, numSource: number | undefined, batch: number): Graph {
  const { graph: g } = compileEval(bytes, c, numClasses, batch, params);
  for (const v of [...g.inputs]) {
    if (v.name === 'images') continue;
    let t = params[v.name];
    if (v.name === 'mapping' && mapping) {
      const M = new Float32Array(numSource! * numClasses);
      mapping.forEach((s, tt) => { M[s * numClasses + tt] = 1; });
      t = { dtype: 'float32', shape: [numSource!, numClasses], data: M };
    }
    if (!t) throw new Error(`internal: no value for '${v.name}'`);
    v.constant = t;
    g.inputs = g.inputs.filter((x) => x !== v);
  }
  g.outputs = g.outputs.filter((o) => o.name === 'logits');
  removeDeadNodes(g);
  return g;
}

/** The last pass of every compiled graph: outputs written by kernels (passes/output-kernels.ts: graph capture
 * needs it), then the checker. */
function finish(g: Graph): void {
  lowerGelu(g);
  foldScaleIntoGemm(g);
  outputsByKernel(g);
  assertValid(g);
}

/** Gives a value a fixed public name via Identity (graph inputs/outputs must keep stable names). */
function rename(g: Graph, v: Value, name: string): Value {
  if (g.has(name)) throw new Error(`internal: output name '${name}' is taken`);
  const out = g.value(name);
  g.addNode('Identity', [v], [out], {}, { name: g.freshNodeName('vp/out') });
  out.dtype = v.dtype; out.shape = v.shape;
  return out;
}


/** Frozen-feature caching for method `none`: images → the head's input ([B, F]: features for lp, source logits
 * for fm), computed once; later epochs train the head alone (compileHeadStep). */
export function compileFeatures(bytes: Uint8Array, c: TrainConfig, numClasses: number, batch: number): Compiled {
  const info = backboneInfo(bytes);
  const width = c.head === 'fm' ? info.numSourceClasses! : info.featureWidth!;
  const f = buildForward(bytes, c, numClasses, batch, { 'head.weight': [numClasses, width], 'head.bias': [numClasses] });
  const headIn = f.logits.producer!.input(0);
  f.g.outputs = [rename(f.g, headIn, 'features')];
  removeDeadNodes(f.g);
  f.g.inputs = f.g.inputs.filter((v) => v.name === 'images');
  finish(f.g);
  return { graph: f.g, batch, io: { images: 'images', params: [], states: [], logits: 'features', newParams: {}, newStates: {} } };
}

/** The train step of a linear head on cached features: Gemm → CE → backward → optimiser update. */
export function compileHeadStep(c: TrainConfig, numClasses: number, batch: number, width: number): Compiled {
  const g = new Graph();
  g.opsetImports = [{ domain: '', version: 17 }];
  const b = new Builder(g, 'vp/');
  const feats = addInput(g, 'features', 'float32', [batch, width]);
  const params = new Map<string, Value>([['head.weight', addInput(g, 'head.weight', 'float32', [numClasses, width])], ['head.bias', addInput(g, 'head.bias', 'float32', [numClasses])]]);
  const logits = b.op('Gemm', [feats, params.get('head.weight')!, params.get('head.bias')!], { transB: 1 });
  const labels = addInput(g, 'labels', 'int32', [batch]), weights = addInput(g, 'weights', 'float32', [batch]);
  const { loss, dlogits, perSample } = crossEntropy(b, logits, labels, weights);
  const metrics = accumulateMetrics(b, addInput(g, 'metrics', 'float32', [2]), logits, labels, weights, perSample);
  const grads = backward(g, { seeds: [{ value: logits, grad: dlogits }], wrt: [...params.values()], prefix: 'grad/' });
  const io: GraphIO = { images: 'features', labels: 'labels', weights: 'weights', params: [...params.keys()], states: [], loss: 'loss', logits: '', metrics: 'metrics', newMetrics: 'metrics.next', newParams: {}, newStates: {}, hyper: { lr: 'hp.lr', stepSize: 'hp.step_size', sqrtBc2: 'hp.sqrt_bc2' } };
  const outs = emitOptimizer(g, c, params, grads, io);
  g.outputs = [rename(g, loss, 'loss'), rename(g, metrics, 'metrics.next'), ...outs];
  removeDeadNodes(g);
  g.inputs = g.inputs.filter((v) => v.users.size > 0);
  finish(g);
  return { graph: g, io, batch };
}
