// `vp-studio bench`: times one configuration's compiled training step on onnxruntime-node (--ep cpu|webgpu) on random
// images — compile and session-create time, median ms/step, images/s, peak resident memory, and the step's nodes,
// FLOPs and weight bytes, ours and after onnxruntime's optimisations (kernels, folded constants) — as one JSON line.
// --profile (CPU EP) adds onnxruntime's profiler: kernel time per op type over the last timed step.
// scripts/bench/bench.mjs runs it per configuration (one process each, so peak memory is per configuration)
// next to the same step in PyTorch.
import { readBackbone } from './model.ts';
import { benchStep } from '../engine/bench.ts';
import { DEFAULTS, type Method, type HeadKind } from '../engine/config.ts';
import { openExecutor } from './ep.ts';
import { NodeWebGpuExecutor } from '../runtime/node-webgpu.ts';
import * as ort from 'onnxruntime-node';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { backboneInfo, compileTrainStep, initParams } from '../engine/compile.ts';
import { graphStats } from '../engine/graph-stats.ts';
import { lastRunProfile } from '../engine/profile.ts';
import { NodeExecutor } from '../runtime/node-executor.ts';
import { CliError } from './util.ts';
import type { TrainConfig } from '../engine/config.ts';
import { decodeModel, encodeModel } from '../onnx/codec.ts';
import { DEFAULT_SPLIT_THRESHOLD, initializerBytes } from '../onnx/session-model.ts';

export interface BenchFlags { model: string; method: string; head: string; batch: string; classes: string; threads: string; warmup: string; steps: string; rank: string; tokens: string; padWidth: string; lr: string; inputSize?: string; ep?: string; stats?: boolean; profile?: boolean; verbose?: boolean }

export async function benchCommand(f: BenchFlags): Promise<void> {
  const rssBefore = process.resourceUsage().maxRSS;
  const bytes = (await readBackbone(f.model, { inputSize: f.inputSize })).bytes;
  const threads = Number(f.threads) || cpus().length;
  const cfg = { ...DEFAULTS, method: f.method as Method, head: f.head as HeadKind, batchSize: Number(f.batch), rank: Number(f.rank), tokens: Number(f.tokens), padWidth: Number(f.padWidth), lr: Number(f.lr), augment: false };
  if (f.profile && (f.ep ?? 'cpu') !== 'cpu') throw new CliError('--profile needs --ep cpu (onnxruntime\'s profiler times CPU kernels)');
  const profDir = f.profile ? mkdtempSync(join(tmpdir(), 'vp-profile-')) : undefined;
  const executor = profDir ? new NodeExecutor(threads, join(profDir, 'step'), f.verbose) : await openExecutor(f.ep, threads, f.verbose);
  const r = await benchStep({ backbone: bytes, cfg, numClasses: Number(f.classes), executor, warmup: Number(f.warmup), steps: Number(f.steps), rss: () => process.memoryUsage().rss });
  const peakKb = process.resourceUsage().maxRSS; // before the statistics pass below compiles the step a second time
  const profile = profDir ? readProfile(profDir) : {};
  const stats = f.stats === false ? {} : await stepStats(bytes, cfg, Number(f.classes), threads);
  const mb = (kb: number) => Math.round(kb / 1024);
  process.stdout.write(JSON.stringify({
    engine: 'vp-studio', ep: f.ep ?? 'cpu', backend: executor.backend, onnxruntime: ort.env.versions.node, node: process.version, model: f.model, method: cfg.method, head: cfg.head, batch: r.batch, threads,
    trainable: r.trainable, compile_s: r.compileMs / 1000, session_s: r.sessionMs / 1000, step_ms: r.stepMs, median_ms: r.medianMs, images_per_s: r.imagesPerS,
    peak_rss_mb: mb(peakKb), start_rss_mb: mb(rssBefore), step_rss_mb: r.stepRssBytes === undefined ? undefined : Math.round(r.stepRssBytes / 2 ** 20), estimated_peak_mb: Math.round(r.estimatedPeakBytes / 2 ** 20), first_loss: r.firstLoss, last_loss: r.lastLoss,
    ...(executor instanceof NodeWebGpuExecutor ? { cpu_fallback: executor.cpuFallback > 0 } : {}), ...stats, ...profile,
  }) + '\n');
}

/** The step session's profile (the one file in dir), per op type; the directory is removed. */
function readProfile(dir: string) {
  try {
    const file = readdirSync(dir).find((n) => n.endsWith('.json'));
    if (!file) throw new CliError('onnxruntime wrote no profile');
    const p = lastRunProfile(JSON.parse(readFileSync(join(dir, file), 'utf8')));
    const r2 = (x: number) => Math.round(x * 100) / 100;
    return { profile_run_ms: r2(p.runMs), profile_kernel_ms: r2(p.kernelMs), profile_by_op: p.byOp.map((o) => ({ op: o.op, kernels: o.kernels, ms: r2(o.ms), share: Math.round(o.share * 1000) / 1000 })) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The step graph's size and cost, ours and after onnxruntime's optimisations (its optimised model, dumped). */
async function stepStats(bytes: Uint8Array, cfg: TrainConfig, classes: number, threads: number) {
  const info = backboneInfo(bytes);
  const step = compileTrainStep(bytes, cfg, classes, cfg.batchSize, initParams(cfg, info, classes));
  const ours = graphStats(step.graph);
  const mib = (b: number) => Math.round(b / 2 ** 20 * 10) / 10;
  const oursStats = { step_nodes: ours.nodes, step_gflops: Math.round(ours.flops / 1e7) / 100, step_weights_mib: mib(ours.weightBytes) };
  // onnxruntime cannot write an optimised model over protobuf's 2 GiB inline: a split step reports ours only
  if (initializerBytes(step.graph) > DEFAULT_SPLIT_THRESHOLD) return { ...oursStats, ort_stats: 'not taken: the step passes 2 GiB' };
  const dir = mkdtempSync(join(tmpdir(), 'vp-bench-')), file = join(dir, 'optimized.onnx');
  try {
    const s = await ort.InferenceSession.create(encodeModel(step.graph), { graphOptimizationLevel: 'all', intraOpNumThreads: threads, optimizedModelFilePath: file, logSeverityLevel: 3 });
    await s.release();
    const opt = graphStats(decodeModel(new Uint8Array(readFileSync(file))));
    return { ...oursStats, ort_kernels: opt.nodes, ort_weights_mib: mib(opt.weightBytes), ort_kernels_by_op: opt.byOp };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
