// The trainer loop behind an Executor: compiles the train-step and evaluation graphs once, keeps trainable
// tensors, optimiser state and the epoch's metric sums as device handles fed back step after step, reads back
// the loss only when it is shown, decodes the next batch while the device runs the current one,
// recomputes label mappings (flm once, ilm every mapping_freq epochs), and reports per-step and per-epoch metrics.
import { encodeForSession } from '../onnx/session-model.ts';
import type { Tensor } from '../onnx/tensor.ts';
import { batchFor, compileAccumulate, compileApply, compileEval, compileFeatures, compileHeadStep, compileTrainStep, backboneInfo, deviceOutputs, initParams, optimSettings, type BackboneInfo, type Compiled } from './compile.ts';
import { lrAt, type TrainConfig } from './config.ts';
import type { ExecSession, Executor, Handle } from './executor.ts';
import { Rng } from './init.ts';
import { countTop1, greedyMapping, mappingMatrix } from './mapping.ts';
import { hyperValues, stateNames, type OptimSettings } from './optim.ts';

/** Images of one split, decoded on demand into NCHW float [0,1] at the backbone's size. */
export interface ImageSource {
  readonly size: number;
  readonly labels: ArrayLike<number>;
  load(indices: number[], augment: boolean, rng: Rng, out: Float32Array): Promise<void>;
  /** A hint: these examples are loaded next (e.g. start decoding them); it must not draw from any rng. */
  prefetch?(indices: number[], augment: boolean): void;
}

export interface StepMetrics { step: number; epoch: number; loss: number; lr: number; totalSteps: number }
export interface EpochMetrics { epoch: number; train_acc: number; train_loss: number; val_acc: number | null; val_loss: number | null; images_per_s: number; seconds: number }
/** Where one epoch's wall time went, in ms (measured in the loop; `wall` = epoch start → after its validation).
 * The first epoch's start is the call of train(): `setup` is compiling, creating sessions and caching features. */
export interface EpochProfile {
  wall: number; setup: number; mapping: number;
  /** Waiting for the batch to be ready (its loading was not hidden behind the previous step). */
  dataWait: number;
  /** Inside the ImageSource's load (decode, resize, augment, copy), wherever it overlapped. */
  load: number;
  /** From a step's session.run call until its outputs are back (uploads included). */
  step: number;
  /** Reading losses back and the onStep callback. */
  report: number;
  validation: number;
  /** The previous epoch's read-back of its tensors and checkpoint callback (they run after its onEpoch). */
  checkpoint: number;
}

export interface TrainCallbacks {
  /** Called for the steps whose loss was read back: every step, unless `wantLoss` says otherwise. */
  onStep?(m: StepMetrics): void;
  /** Whether to read step `t`'s loss back (a device sync); the last step of an epoch is always read. */
  wantLoss?(t: number): boolean;
  onEpoch?(m: EpochMetrics, profile: EpochProfile): void;
  onMapping?(mapping: Int32Array, epoch: number): void;
  shouldStop?(): boolean;
  /** The graphs are compiled and their sessions created: steps start now. */
  onReady?(): void;
  /** After every epoch: everything needed to resume (tensors, optimiser state, rng, counters). */
  onCheckpoint?(c: Checkpoint): void | Promise<void>;
}

/** A resumable training state, taken at the end of an epoch. */
export interface Checkpoint {
  /** Epochs completed. */
  epoch: number;
  step: number;
  rngState: number[];
  /** Trainable tensors and optimiser state (`state.<name>.<m|v|buf>`). */
  tensors: Record<string, Tensor>;
  mapping: Int32Array | undefined;
  epochs: EpochMetrics[];
}

export interface TrainOptions {
  backbone: Uint8Array;
  cfg: TrainConfig;
  classes: string[];
  train: ImageSource;
  val?: ImageSource;
  executor: Executor;
  init?: Record<string, Tensor>;
  callbacks?: TrainCallbacks;
  /** Continue from a checkpoint instead of starting afresh. */
  resume?: Checkpoint;
}

/** Where a run diverged: the first non-finite loss read back, and the completed epochs whose tensors were kept. */
export interface Divergence { step: number; epoch: number; loss: number; keptEpochs: number }

/** `params`/`mapping` are the last finite ones: after a divergence, those of the last completed epoch (or the
 * initial tensors when the first epoch diverged). */
export interface TrainResult { params: Record<string, Tensor>; mapping: Int32Array | undefined; epochs: EpochMetrics[]; info: BackboneInfo; backend: string; diverged?: Divergence }

/** A loss that is not finite, or 10⁴ times the run's first (a cross-entropy that large means logits of ~10⁴: the
 * weights have blown up and the next steps overflow), means the run diverged at once; an epoch whose mean training
 * loss is 10× the first step's (see train) means it diverged more slowly. */
export const exploded = (loss: number, first: number): boolean => !Number.isFinite(loss) || loss > 1e4 * Math.max(first, 1);

/** One line for people: what happened and what to do. */
export const divergenceMessage = (d: Divergence, totalEpochs: number): string =>
  `diverged — lower the learning rate: the loss became ${Number.isFinite(d.loss) ? d.loss.toPrecision(3) : d.loss} at step ${d.step + 1} (epoch ${d.epoch + 1}); kept the tensors of the last finite epoch (${d.keptEpochs} of ${totalEpochs} completed)`;

export interface Evaluation { logits: Float32Array; labels: Int32Array; predictions: Int32Array; accuracy: number; loss: number; perClass: number[]; confusion: number[][] }

/** Merges user-given initial tensors over fresh ones, checking names and shapes. */
export function mergeInit(fresh: Record<string, Tensor>, given: Record<string, Tensor> | undefined): Record<string, Tensor> {
  if (!given) return fresh;
  const out = { ...fresh };
  for (const [name, t] of Object.entries(given)) {
    if (name === 'mapping') continue;
    const f = fresh[name];
    if (!f) throw new Error(`initial tensor '${name}' is not trained by this configuration (expected ${Object.keys(fresh).join(', ')})`);
    if (f.shape.join() !== t.shape.join()) throw new Error(`initial tensor '${name}' has shape [${t.shape}], [${f.shape}] expected`);
    out[name] = { dtype: 'float32', shape: t.shape, data: Float32Array.from(t.data as Float32Array) };
  }
  return out;
}

const scalar = (x: number): Tensor => ({ dtype: 'float32', shape: [], data: Float32Array.of(x) });

/** Device handles of the trainable tensors and their optimiser state (`state.<name>.<s>`, zeros unless `from` has
 * them, as a checkpoint does). */
export function uploadTrainState(ex: Executor, params: Record<string, Tensor>, opt: OptimSettings, from?: Record<string, Tensor>): Record<string, Handle> {
  const handles: Record<string, Handle> = {};
  for (const [k, t] of Object.entries(params)) {
    handles[k] = ex.upload(from?.[k] ?? t);
    for (const s of stateNames(opt)) {
      const name = `state.${k}.${s}`;
      handles[name] = ex.upload(from?.[name] ?? { dtype: 'float32', shape: t.shape, data: new Float32Array(t.data.length) });
    }
  }
  return handles;
}

/** Runs an eval session over a whole source in batches. */
export async function runEval(ex: Executor, s: ExecSession, ev: Compiled, src: ImageSource, L: number, fixed: Record<string, Handle>, numClasses: number): Promise<{ logits: Float32Array; source: Float32Array | undefined; numSource: number }> {
  const B = ev.batch, per = 3 * L * L;
  const logits = new Float32Array(src.size * numClasses);
  let source: Float32Array | undefined, numSource = 0;
  const buf = new Float32Array(B * per);
  const rng = new Rng(0);
  for (let start = 0; start < src.size; start += B) {
    const idx = Array.from({ length: Math.min(B, src.size - start) }, (_, i) => start + i);
    buf.fill(0);
    await src.load(idx, false, rng, buf);
    const out = await s.run({ ...fixed, [ev.io.images]: ex.upload({ dtype: 'float32', shape: [B, 3, L, L], data: buf }) });
    const lg = (await ex.download(out[ev.io.logits])).data as Float32Array;
    logits.set(lg.subarray(0, idx.length * numClasses), start * numClasses);
    if (ev.io.sourceLogits) {
      const sl = await ex.download(out[ev.io.sourceLogits]);
      numSource = sl.shape[1];
      source ??= new Float32Array(src.size * numSource);
      source.set((sl.data as Float32Array).subarray(0, idx.length * numSource), start * numSource);
    }
  }
  return { logits, source, numSource };
}

export function scoreLogits(logits: Float32Array, labels: ArrayLike<number>, numClasses: number): Evaluation {
  const n = labels.length;
  const predictions = new Int32Array(n);
  const confusion = Array.from({ length: numClasses }, () => new Array<number>(numClasses).fill(0));
  let correct = 0, loss = 0;
  for (let i = 0; i < n; i++) {
    let best = 0, max = -Infinity;
    for (let c = 0; c < numClasses; c++) { const v = logits[i * numClasses + c]; if (v > max) { max = v; best = c; } }
    let se = 0;
    for (let c = 0; c < numClasses; c++) se += Math.exp(logits[i * numClasses + c] - max);
    loss += Math.log(se) + max - logits[i * numClasses + labels[i]];
    predictions[i] = best;
    confusion[labels[i]][best]++;
    if (best === labels[i]) correct++;
  }
  const perClass = confusion.map((row, c) => { const tot = row.reduce((a, b) => a + b, 0); return tot ? row[c] / tot : 0; });
  return { logits, labels: Int32Array.from(labels), predictions, accuracy: n ? correct / n : 0, loss: n ? loss / n : 0, perClass, confusion };
}

export async function train(o: TrainOptions): Promise<TrainResult> {
  const { cfg, executor: ex, classes } = o;
  const C = classes.length;
  const info = backboneInfo(o.backbone);
  const L = info.inputSize, B = cfg.batchSize, per = 3 * L * L;
  const params = mergeInit(initParams(cfg, info, C), o.init);
  // a checkpoint continues only on the images it was trained on: its step count says how many batches an epoch had
  const spe = Math.ceil(o.train.size / B);
  if (o.resume && o.resume.step !== o.resume.epoch * spe) {
    throw new Error(`the checkpoint is at step ${o.resume.step} after ${o.resume.epoch} epoch(s), but ${o.train.size} training images in batches of ${B} make ${spe} steps an epoch: continue it on the images it was trained on`);
  }
  // a fixed-batch file that cannot be re-batched runs as micro-batches of its own batch (gradients accumulated)
  const forced = batchFor(info, B) !== B ? batchFor(info, B) : 0;
  const micro = forced || (cfg.microBatch && cfg.microBatch < B ? cfg.microBatch : 0);
  // method none without augmentation: the backbone's output never changes, so compute the head's input once
  const caching = cfg.method === 'none' && !cfg.augment && !micro && (cfg.head === 'lp' || cfg.head === 'fm');
  const tStart = performance.now();
  const cache = caching ? await extractFeatures(o, ex, info, C, B) : undefined;
  const step = micro ? compileAccumulate(o.backbone, cfg, C, micro, params)
    : cache ? compileHeadStep(cfg, C, B, cache.width) : compileTrainStep(o.backbone, cfg, C, B, params);
  const apply = micro ? compileApply(cfg, params) : undefined;
  const ev = compileEval(o.backbone, cfg, C, micro || B, params);
  const onDevice = (c: Compiled) => ({ keepOnDevice: deviceOutputs(c) });
  const [ss, es, as] = await Promise.all([ex.createSession(encodeForSession(step.graph), onDevice(step)), ex.createSession(encodeForSession(ev.graph)), apply ? ex.createSession(encodeForSession(apply.graph), onDevice(apply)) : undefined]);
  const stepInputs = new Set(step.graph.inputs.map((v) => v.name)), applyInputs = new Set(apply?.graph.inputs.map((v) => v.name));
  const opt = optimSettings(cfg);
  const handles = uploadTrainState(ex, params, opt, o.resume?.tensors);
  o.callbacks?.onReady?.();
  const now = () => performance.now();
  const newProfile = (): EpochProfile => ({ wall: 0, setup: 0, mapping: 0, dataWait: 0, load: 0, step: 0, report: 0, validation: 0, checkpoint: 0 });
  let prof = newProfile(), epochStart = tStart;
  prof.setup = now() - tStart;
  let mapping: Int32Array | undefined = o.resume ? o.resume.mapping : o.init?.mapping ? Int32Array.from(o.init.mapping.data as Int32Array) : undefined;
  const paramFeeds = () => Object.fromEntries(ev.io.params.map((k) => [k, handles[k]]));
  const updateMapping = async (epoch: number) => {
    const r = await runEval(ex, es, ev, o.train, L, { ...paramFeeds(), ...(handles.mapping ? { mapping: handles.mapping } : { mapping: ex.upload({ dtype: 'float32', shape: [info.numSourceClasses!, C], data: new Float32Array(info.numSourceClasses! * C) }) }) }, C);
    mapping = greedyMapping(countTop1(r.source!, r.numSource, o.train.labels, C), r.numSource, C);
    handles.mapping = ex.upload({ dtype: 'float32', shape: [r.numSource, C], data: mappingMatrix(mapping, r.numSource) });
    o.callbacks?.onMapping?.(mapping, epoch);
  };
  if (mapping && step.io.mapping) handles.mapping = ex.upload({ dtype: 'float32', shape: [info.numSourceClasses!, C], data: mappingMatrix(mapping, info.numSourceClasses!) });

  const n = o.train.size, stepsPerEpoch = Math.ceil(n / B), total = stepsPerEpoch * cfg.epochs;
  const rng = o.resume ? Rng.fromState(o.resume.rngState) : new Rng(cfg.seed + 1);
  const cap = micro ? Math.ceil(B / micro) * micro : B; // whole micro-batches; extra rows have weight 0
  const width = cache ? cache.width : per;
  // two image buffers: the next batch is decoded while the device runs the current one
  const buffers = [new Float32Array(cap * width), new Float32Array(cap * width)];
  const labels = new Int32Array(cap), weights = new Float32Array(cap);
  const epochs: EpochMetrics[] = [...(o.resume?.epochs ?? [])];
  const zeros2 = () => ex.upload({ dtype: 'float32', shape: [2], data: new Float32Array(2) });
  let t = o.resume?.step ?? 0;
  // the last finite tensors (a run that diverges keeps them): the start, then every completed epoch's
  let good = { params: o.resume ? Object.fromEntries(Object.keys(params).map((k) => [k, o.resume!.tensors[k] ?? params[k]])) : params, mapping, epochs: o.resume?.epoch ?? 0 };
  let diverged: Divergence | undefined, firstLoss: number | undefined;
  for (let epoch = o.resume?.epoch ?? 0; epoch < cfg.epochs && !diverged; epoch++) {
    if (o.callbacks?.shouldStop?.()) break;
    const tm = now();
    if (step.io.mapping && (cfg.head === 'ilm' ? epoch % cfg.mappingFreq === 0 : !mapping)) await updateMapping(epoch);
    prof.mapping = now() - tm;
    const order = Array.from({ length: n }, (_, i) => i);
    if (cfg.shuffle) for (let i = n - 1; i > 0; i--) { const j = Math.floor(rng.next() * (i + 1)); [order[i], order[j]] = [order[j], order[i]]; }
    const t0 = epoch === (o.resume?.epoch ?? 0) ? tStart : now();
    const batchOf = (k: number) => order.slice(k * B, (k + 1) * B);
    // fills buffers[k % 2] with batch k (decoding happens in order, so the rng sequence is that of a serial loop)
    const load = async (k: number): Promise<void> => {
      const tl = now(), idx = batchOf(k), buf = buffers[k % 2];
      // the batch after this one starts decoding now: two steps run while it does
      if (!cache && k + 1 < stepsPerEpoch) o.train.prefetch?.(batchOf(k + 1), cfg.augment);
      buf.fill(0);
      if (cache) idx.forEach((i, j) => buf.set(cache.train.subarray(i * width, (i + 1) * width), j * width));
      else await o.train.load(idx, cfg.augment, rng, buf);
      prof.load += now() - tl;
    };
    let metrics = zeros2();
    let pending: Promise<void> | undefined = load(0), stopped = false;
    for (let k = 0; k < stepsPerEpoch; k++, t++) {
      const tw = now();
      await pending;
      prof.dataWait += now() - tw;
      pending = undefined;
      if (o.callbacks?.shouldStop?.()) { stopped = true; break; }
      const idx = batchOf(k), m = idx.length, images = buffers[k % 2];
      labels.fill(0); weights.fill(0);
      idx.forEach((i, j) => { labels[j] = o.train.labels[i]; weights[j] = 1 / m; });
      const lr = lrAt(cfg, t, total), hv = hyperValues(opt, lr, t + 1);
      const hyper: Record<string, Handle> = { 'hp.lr': ex.upload(scalar(hv.lr)), 'hp.step_size': ex.upload(scalar(hv.stepSize)), 'hp.sqrt_bc2': ex.upload(scalar(hv.sqrtBc2)) };
      const chunk = micro || B;
      const acc: Record<string, Handle> = {};
      if (micro) for (const k2 of step.io.params) acc[`accum.${k2}`] = ex.upload({ dtype: 'float32', shape: params[k2].shape, data: new Float32Array(params[k2].data.length) });
      const losses: Handle[] = [];
      for (let off = 0; off < m; off += chunk) {
        const feeds: Record<string, Handle> = {
          [step.io.images]: ex.upload({ dtype: 'float32', shape: cache ? [chunk, width] : [chunk, 3, L, L], data: images.slice(off * width, (off + chunk) * width) }),
          labels: ex.upload({ dtype: 'int32', shape: [chunk], data: labels.slice(off, off + chunk) }),
          weights: ex.upload({ dtype: 'float32', shape: [chunk], data: weights.slice(off, off + chunk) }),
          metrics, ...hyper, ...acc,
        };
        for (const k2 of [...step.io.params, ...step.io.states]) feeds[k2] ??= handles[k2];
        if (step.io.mapping) feeds.mapping = handles.mapping;
        for (const name of Object.keys(feeds)) if (!stepInputs.has(name)) delete feeds[name];
        const ts = now();
        const run = ss.run(feeds);
        // the next batch decodes while this one runs
        if (off + chunk >= m && k + 1 < stepsPerEpoch) pending = load(k + 1);
        const out = await run;
        prof.step += now() - ts;
        if (micro) for (const [sn, on] of Object.entries(step.io.newStates)) { if (off) ex.dispose(acc[sn]); acc[sn] = out[on]; }
        else for (const [pn, on] of Object.entries({ ...step.io.newParams, ...step.io.newStates })) { ex.dispose(handles[pn]); handles[pn] = out[on]; }
        ex.dispose(metrics);
        metrics = out[step.io.newMetrics!];
        losses.push(out[step.io.loss!]);
      }
      if (micro && apply && as) {
        const feeds: Record<string, Handle> = { ...hyper };
        for (const k2 of step.io.params) { feeds[k2] = handles[k2]; feeds[`grad.${k2}`] = acc[`accum.${k2}`]; }
        for (const sn of apply.io.states) feeds[sn] = handles[sn];
        for (const name of Object.keys(feeds)) if (!applyInputs.has(name)) delete feeds[name];
        const ts = now();
        const out = await as.run(feeds);
        prof.step += now() - ts;
        for (const [pn, on] of Object.entries({ ...apply.io.newParams, ...apply.io.newStates })) { ex.dispose(handles[pn]); handles[pn] = out[on]; }
        for (const h of Object.values(acc)) ex.dispose(h);
      }
      // the loss is read back (a device sync) only when someone shows it, and at the end of every epoch
      if (!o.callbacks?.wantLoss || o.callbacks.wantLoss(t) || k === stepsPerEpoch - 1) {
        const tr = now();
        let loss = 0;
        for (const h of losses) loss += ((await ex.download(h)).data as Float32Array)[0];
        o.callbacks?.onStep?.({ step: t, epoch, loss, lr, totalSteps: total });
        firstLoss ??= loss;
        if (exploded(loss, firstLoss)) diverged = { step: t, epoch, loss, keptEpochs: good.epochs };
        prof.report += now() - tr;
      }
      for (const h of losses) ex.dispose(h);
      if (diverged) { stopped = true; t++; break; }
    }
    await pending;
    // a run stopped mid-epoch records neither the partial epoch nor a checkpoint: a resume repeats the epoch
    if (stopped) { ex.dispose(metrics); break; }
    const sums = (await ex.download(metrics)).data as Float32Array;
    ex.dispose(metrics);
    const lossSum = sums[0], correct = sums[1];
    // patience of one epoch: a mean training loss 10× the first step's means the run blew up (it may still be finite)
    if (exploded(lossSum / n, firstLoss ?? lossSum / n) || lossSum / n > 10 * Math.max(firstLoss ?? lossSum / n, 1)) { diverged = { step: t - 1, epoch, loss: lossSum / n, keptEpochs: good.epochs }; break; }
    const seconds = (now() - t0) / 1000;
    const tv = now();
    let valAcc: number | null = null, valLoss: number | null = null;
    if (o.val && o.val.size && cache) {
      const sc = scoreLogits(headLogits(cache.val, cache.width, await ex.download(handles['head.weight']), await ex.download(handles['head.bias'])), o.val.labels, C);
      valAcc = sc.accuracy; valLoss = sc.loss;
    } else if (o.val && o.val.size) {
      const r = await runEval(ex, es, ev, o.val, L, { ...paramFeeds(), ...(handles.mapping ? { mapping: handles.mapping } : {}) }, C);
      const sc = scoreLogits(r.logits, o.val.labels, C);
      valAcc = sc.accuracy; valLoss = sc.loss;
    }
    const em: EpochMetrics = { epoch, train_acc: correct / n, train_loss: lossSum / n, val_acc: valAcc, val_loss: valLoss, images_per_s: n / seconds, seconds };
    epochs.push(em);
    prof.validation = now() - tv;
    prof.wall = now() - epochStart;
    o.callbacks?.onEpoch?.(em, prof);
    prof = newProfile();
    const tc = epochStart = now();
    const kept: Record<string, Tensor> = {};
    for (const k of Object.keys(params)) kept[k] = await ex.download(handles[k]);
    good = { params: kept, mapping, epochs: epoch + 1 };
    if (o.callbacks?.onCheckpoint) {
      const tensors: Record<string, Tensor> = { ...kept };
      for (const k of Object.keys(handles).filter((h) => h.startsWith('state.'))) tensors[k] = await ex.download(handles[k]);
      await o.callbacks.onCheckpoint({ epoch: epoch + 1, step: t, rngState: rng.state(), tensors, mapping, epochs: [...epochs] });
    }
    // counted in the next epoch's profile (its wall starts here)
    prof.checkpoint = now() - tc;
  }
  const outParams: Record<string, Tensor> = {};
  if (diverged) Object.assign(outParams, good.params);
  else for (const k of Object.keys(params)) outParams[k] = await ex.download(handles[k]);
  await ss.release(); await es.release(); await as?.release();
  return { params: outParams, mapping: diverged ? good.mapping : mapping, epochs, info, backend: ex.backend, ...(diverged ? { diverged } : {}) };
}

/** Runs the frozen backbone once over the train and validation images: the head's input per image. */
async function extractFeatures(o: TrainOptions, ex: Executor, info: BackboneInfo, C: number, B: number): Promise<{ width: number; train: Float32Array; val: Float32Array }> {
  const fc = compileFeatures(o.backbone, o.cfg, C, B);
  const width = fc.graph.outputs[0].dims[1];
  const s = await ex.createSession(encodeForSession(fc.graph));
  const train = (await runEval(ex, s, fc, o.train, info.inputSize, {}, width)).logits;
  const val = o.val?.size ? (await runEval(ex, s, fc, o.val, info.inputSize, {}, width)).logits : new Float32Array(0);
  await s.release();
  return { width, train, val };
}

/** logits = F·Wᵀ + b on the host (validation of a head on cached features). */
function headLogits(F: Float32Array, width: number, W: Tensor, bias: Tensor): Float32Array {
  const w = W.data as Float32Array, bb = bias.data as Float32Array, C = bb.length, n = F.length / width;
  const out = new Float32Array(n * C);
  for (let i = 0; i < n; i++) for (let c = 0; c < C; c++) {
    let acc = bb[c];
    for (let k = 0; k < width; k++) acc += F[i * width + k] * w[c * width + k];
    out[i * C + c] = acc;
  }
  return out;
}
