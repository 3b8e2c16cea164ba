// `vp-studio train`: trains a prompt method + head on an image folder with the compiled train step on
// onnxruntime-node, writing metrics.jsonl, prompt.safetensors, manifest.json and the deployable model.onnx.
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { planBatch } from '../engine/budget.ts';
import { configBackbone, deployable, describeBackbone, initParams } from '../engine/compile.ts';
import { DEFAULTS, validateConfig, type TrainConfig } from '../engine/config.ts';
import { divergenceMessage, train } from '../engine/trainer.ts';
import { openExecutor } from './ep.ts';
import { loadCliData } from './dataset.ts';
import { lazyProgress, progress } from './progress.ts';
import { readCheckpoint, readTensors, RunWriter, sha256 } from './run-files.ts';
import { readBackbone } from './model.ts';
import { CliError } from './util.ts';

const IMAGENET_MEAN = '0.485,0.456,0.406', IMAGENET_STD = '0.229,0.224,0.225';

export interface TrainFlags {
  model: string; data: string; out: string; resume?: string; val?: string; initFrom?: string;
  method: string; head: string; rank: string; init: string; padWidth: string; tokens: string; mappingFreq: string;
  epochs: string; batchSize: string; lr: string; promptLr?: string; optimizer: string; momentum: string; weightDecay: string;
  scheduler: string; warmup: string; mean?: string; std?: string; seed: string; shuffle: boolean; augment: boolean;
  valFraction: string; microBatch: string; inputSize?: string; memoryBudget?: string; threads?: string; ep?: string; quiet?: boolean; verbose?: boolean;
}

const num = (flag: string, v: string): number => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x)) throw new CliError(`--${flag} must be a number, got "${v}"`);
  return x;
};
const triple = (flag: string, v: string): number[] => {
  const xs = v.split(',').map((s) => num(flag, s));
  if (xs.length !== 3) throw new CliError(`--${flag} needs 3 comma-separated values, got "${v}"`);
  return xs;
};

export function configFromFlags(f: TrainFlags): TrainConfig {
  return {
    ...DEFAULTS,
    method: f.method as TrainConfig['method'], head: f.head as TrainConfig['head'], rank: num('rank', f.rank), init: f.init,
    padWidth: num('pad-width', f.padWidth), tokens: num('tokens', f.tokens), mappingFreq: num('mapping-freq', f.mappingFreq),
    epochs: num('epochs', f.epochs), batchSize: num('batch-size', f.batchSize), lr: num('lr', f.lr), promptLr: f.promptLr === undefined ? 0 : num('prompt-lr', f.promptLr),
    optimizer: f.optimizer as TrainConfig['optimizer'], momentum: num('momentum', f.momentum), weightDecay: num('weight-decay', f.weightDecay),
    scheduler: f.scheduler as TrainConfig['scheduler'], warmup: num('warmup', f.warmup), mean: triple('mean', f.mean ?? IMAGENET_MEAN), std: triple('std', f.std ?? IMAGENET_STD),
    seed: num('seed', f.seed), shuffle: f.shuffle, augment: f.augment, valFraction: num('val-fraction', f.valFraction), microBatch: num('micro-batch', f.microBatch),
  };
}

export async function trainCommand(flags: TrainFlags): Promise<void> {
  let f = flags, resume: ReturnType<typeof readCheckpoint> | undefined;
  if (flags.resume) {
    resume = readCheckpoint(flags.resume);
    f = { ...(resume.meta.flags as unknown as TrainFlags), out: flags.resume, quiet: flags.quiet, threads: flags.threads, ep: flags.ep, verbose: flags.verbose };
  }
  for (const k of ['model', 'data', 'out'] as const) if (!f[k]) throw new CliError(`train needs --${k} (or --resume RUN_DIR)`);
  const bb = await readBackbone(f.model, { inputSize: f.inputSize });
  // normalisation: the flags, else the model's preprocessor_config.json, else ImageNet's
  f = { ...f, mean: f.mean ?? bb.meta.mean?.join(',') ?? IMAGENET_MEAN, std: f.std ?? bb.meta.std?.join(',') ?? IMAGENET_STD, inputSize: String(bb.inputSize.size) };
  let cfg = configFromFlags(f);
  if (!['sgd', 'adamw'].includes(cfg.optimizer)) throw new CliError(`unknown optimizer "${cfg.optimizer}" (choose sgd or adamw)`);
  if (!['cosine', 'multistep', 'constant'].includes(cfg.scheduler)) throw new CliError(`unknown scheduler "${cfg.scheduler}" (choose cosine, multistep or constant)`);
  const bytes = bb.bytes;
  const { info } = describeBackbone(bytes);
  const log = (s: string) => { if (!f.quiet) process.stderr.write(s + '\n'); };
  for (const n of bb.notes) log(`model: ${n}`);
  const scan = f.quiet ? { update() {}, stop() {} } : lazyProgress('checking images');
  const executor = await openExecutor(f.ep, f.threads ? Number(f.threads) : 0, f.verbose);
  if (f.ep === 'webgpu') log(`running on ${executor.backend}`);
  const data = await loadCliData(f.data, f.val, info.inputSize, cfg.valFraction, cfg.seed, (d, t) => scan.update(d, undefined, t));
  scan.stop();
  for (const s of data.skipped) log(`skipped ${s.path}: ${s.reason}`);
  for (const w of data.warnings) log(`warning: ${w}`);
  validateConfig(cfg, configBackbone(info), data.classes.length);
  const init = f.initFrom ? readTensors(f.initFrom) : undefined;
  if (f.memoryBudget) {
    const plan = planBatch(bytes, cfg, data.classes.length, initParams(cfg, info, data.classes.length), num('memory-budget', f.memoryBudget) * 2 ** 20);
    if (plan.note) log(plan.note);
    cfg = { ...cfg, microBatch: plan.microBatch };
  }
  if (resume) log(`resuming ${f.out} after epoch ${resume.ck.epoch} of ${f.epochs}`);
  const out = new RunWriter(f.out, resume?.ck.epoch);
  const savedFlags = { ...f, resume: undefined, quiet: undefined, ep: undefined, verbose: undefined };
  log(`${info.family} backbone (${info.params.toLocaleString()} parameters, input ${info.inputSize}×${info.inputSize}); ${data.classes.length} classes, ${data.trainCount} train / ${data.valCount} val images`);
  const steps = Math.ceil(data.trainCount / cfg.batchSize) * cfg.epochs;
  const bar = f.quiet ? { update() {}, stop() {} } : progress('training', steps);
  if (resume) bar.update(resume.ck.step);
  const t0 = Date.now();
  const res = await train({
    backbone: bytes, cfg, classes: data.classes, train: data.train, val: data.val,
    executor, init, resume: resume?.ck,
    callbacks: {
      onStep: (m) => { out.metric({ step: m.step, epoch: m.epoch, loss: m.loss, lr: m.lr }); bar.update(m.step + 1, { epoch: m.epoch + 1, loss: m.loss.toFixed(4) }); },
      onEpoch: (m) => { out.metric({ ...m }); },
      onMapping: (mp, epoch) => out.metric({ epoch, mapping: Array.from(mp) }),
      onCheckpoint: (ck) => out.checkpoint(ck, savedFlags as unknown as Record<string, unknown>),
    },
  });
  bar.stop();
  const last = res.epochs[res.epochs.length - 1];
  const best = Math.max(...res.epochs.map((e) => e.val_acc ?? -1));
  const trainable = Object.values(res.params).reduce((a, t) => a + t.data.length, 0);
  out.tensors(res.params, res.mapping, { method: cfg.method, head: cfg.head, classes: JSON.stringify(data.classes) });
  const dep = deployable(bytes, cfg, data.classes.length, res.params, res.mapping, info.numSourceClasses);
  out.model(dep.model);
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
  out.manifest({
    format: 'vp-studio-run/1', settings: cfg,
    backbone: { file: basename(f.model), path: resolve(f.model), sha256: sha256(bb.original), family: info.family, inputSize: info.inputSize, params: info.params },
    preprocessing: { inputSize: info.inputSize, mean: cfg.mean, std: cfg.std, range: '[0,1]', resize: 'bilinear', layout: 'NCHW' },
    model: { file: 'model.onnx', input: dep.input, output: [dep.input[0], data.classes.length], ...(dep.fixedBatchWhy ? { fixedBatch: dep.fixedBatchWhy } : {}) },
    classes: data.classes, ...(bb.meta.labels ? { sourceClasses: bb.meta.labels } : {}), loading: bb.notes, trainableParameters: trainable, seed: cfg.seed,
    data: { train: data.trainCount, val: data.valCount, skipped: data.skipped },
    final: { ...last, best_val_acc: best >= 0 ? best : null, seconds: (Date.now() - t0) / 1000, steps, ...(res.diverged ? { diverged: res.diverged } : {}) },
    backend: res.backend,
    versions: { 'vp-studio': pkg.version, onnxruntime: ort.env.versions.node ?? '?', node: process.version },
    created: new Date().toISOString(),
  });
  if (res.diverged) throw new CliError(`${divergenceMessage(res.diverged, cfg.epochs)} → ${f.out}`);
  log(`done: val_acc ${last?.val_acc?.toFixed(4) ?? 'n/a'} (best ${best >= 0 ? best.toFixed(4) : 'n/a'}), ${trainable.toLocaleString()} trainable parameters → ${f.out}`);
}
