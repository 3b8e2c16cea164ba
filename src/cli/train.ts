// `vp-studio train`: trains a prompt method + head on an image folder with the compiled train step on
// onnxruntime-node, writing metrics.jsonl, prompt.safetensors, manifest.json and the deployable model.onnx.
import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { planBatch } from '../engine/budget.ts';
import { configBackbone, deployable, describeBackbone, initParams } from '../engine/compile.ts';
import { validateConfig, type TrainConfig } from '../engine/config.ts';
import { otherDataProblem } from '../engine/checkpoint-file.ts';
import { configOfFlags, IMAGENET_MEAN, IMAGENET_STD, type TrainFlags } from '../engine/run-flags.ts';
import { divergenceMessage, train } from '../engine/trainer.ts';
import { openExecutor } from './ep.ts';
import { loadCliData } from './dataset.ts';
import { lazyProgress, progress } from './progress.ts';
import { readCheckpoint, readTensors, RunWriter, sha256 } from './run-files.ts';
import { readBackbone } from './model.ts';
import { CliError } from './util.ts';

export type { TrainFlags };

const budgetMiB = (v: string): number => {
  const x = Number(v);
  if (v.trim() === '' || !Number.isFinite(x) || x <= 0) throw new CliError(`--memory-budget must be a positive number of MiB, got "${v}"`);
  return x;
};

export const configFromFlags = (f: TrainFlags): TrainConfig => configOfFlags(f, (m) => new CliError(m));

export async function trainCommand(flags: TrainFlags): Promise<void> {
  let f = flags, resume: ReturnType<typeof readCheckpoint> | undefined;
  if (flags.resume) {
    resume = readCheckpoint(flags.resume);
    // the run's own settings; where its backbone and data are here may differ from where it was trained (a run
    // exported by the studio, or moved between machines): --model / --data / --val say so
    f = { ...resume.meta.flags, out: flags.resume, quiet: flags.quiet, threads: flags.threads, ep: flags.ep, verbose: flags.verbose,
      ...(flags.model ? { model: flags.model } : {}), ...(flags.data ? { data: flags.data } : {}), ...(flags.val ? { val: flags.val } : {}) };
    for (const [k, what] of [['model', 'its backbone'], ['data', 'its image folder'], ['val', 'its validation folder']] as const) {
      if (!flags[k] && f[k] && !existsSync(f[k]!)) throw new CliError(`--resume ${flags.resume}: ${what} "${f[k]}" (as the run recorded it) is not here; pass --${k}`);
    }
  }
  for (const k of ['model', 'data', 'out'] as const) if (!f[k]) throw new CliError(`train needs --${k} (or --resume RUN_DIR)`);
  const bb = await readBackbone(f.model, { inputSize: f.inputSize });
  // normalisation: the flags, else the model's preprocessor_config.json, else ImageNet's
  f = { ...f, mean: f.mean ?? bb.meta.mean?.join(',') ?? IMAGENET_MEAN, std: f.std ?? bb.meta.std?.join(',') ?? IMAGENET_STD, inputSize: String(bb.inputSize.size) };
  let cfg = configFromFlags(f);
  if (!['sgd', 'adamw'].includes(cfg.optimizer)) throw new CliError(`unknown optimizer "${cfg.optimizer}" (choose sgd or adamw)`);
  if (!['cosine', 'multistep', 'constant'].includes(cfg.scheduler)) throw new CliError(`unknown scheduler "${cfg.scheduler}" (choose cosine, multistep or constant)`);
  const bytes = bb.bytes;
  const backboneSha = sha256(bb.original);
  const was = resume?.meta.backbone;
  if (was?.sha256 && was.sha256 !== backboneSha) throw new CliError(`--resume ${f.out}: ${f.model} is not the backbone this run was trained on (${was.file}, sha256 ${was.sha256.slice(0, 12)}…; this file's is ${backboneSha.slice(0, 12)}…)`);
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
  const otherData = resume && otherDataProblem(resume.meta, data.classes, data.trainCount, data.valCount);
  if (otherData) throw new CliError(`--resume ${f.out}: ${otherData}`);
  const init = f.initFrom ? readTensors(f.initFrom) : undefined;
  if (f.memoryBudget) {
    const plan = planBatch(bytes, cfg, data.classes.length, initParams(cfg, info, data.classes.length), budgetMiB(f.memoryBudget) * 2 ** 20);
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
      onCheckpoint: (ck) => out.checkpoint(ck, savedFlags, { classes: data.classes, backbone: { file: basename(f.model), sha256: backboneSha, family: info.family, inputSize: info.inputSize }, data: { train: data.trainCount, val: data.valCount } }),
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
    backbone: { file: basename(f.model), path: resolve(f.model), sha256: backboneSha, family: info.family, inputSize: info.inputSize, params: info.params },
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
