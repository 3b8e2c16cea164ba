// `vp-studio bench`: times one configuration's compiled training step on onnxruntime-node (CPU) on random
// images — compile and session-create time, median ms/step, images/s, peak resident memory — as one JSON line.
// scripts/bench/bench.mjs runs it per configuration (one process each, so peak memory is per configuration)
// next to the same step in PyTorch.
import { readBackbone } from './model.ts';
import { benchStep } from '../engine/bench.ts';
import { DEFAULTS, type Method, type HeadKind } from '../engine/config.ts';
import { NodeExecutor } from '../runtime/node-executor.ts';
import * as ort from 'onnxruntime-node';
import { cpus } from 'node:os';

export interface BenchFlags { model: string; method: string; head: string; batch: string; classes: string; threads: string; warmup: string; steps: string; rank: string; tokens: string; padWidth: string; lr: string; inputSize?: string }

export async function benchCommand(f: BenchFlags): Promise<void> {
  const rssBefore = process.resourceUsage().maxRSS;
  const bytes = readBackbone(f.model, { inputSize: f.inputSize }).bytes;
  const threads = Number(f.threads) || cpus().length;
  const cfg = { ...DEFAULTS, method: f.method as Method, head: f.head as HeadKind, batchSize: Number(f.batch), rank: Number(f.rank), tokens: Number(f.tokens), padWidth: Number(f.padWidth), lr: Number(f.lr), augment: false };
  const r = await benchStep({ backbone: bytes, cfg, numClasses: Number(f.classes), executor: new NodeExecutor(threads), warmup: Number(f.warmup), steps: Number(f.steps) });
  const mb = (kb: number) => Math.round(kb / 1024);
  process.stdout.write(JSON.stringify({
    engine: 'vp-studio', onnxruntime: ort.env.versions.node, node: process.version, model: f.model, method: cfg.method, head: cfg.head, batch: r.batch, threads,
    trainable: r.trainable, compile_s: r.compileMs / 1000, session_s: r.sessionMs / 1000, step_ms: r.stepMs, median_ms: r.medianMs, images_per_s: r.imagesPerS,
    peak_rss_mb: mb(process.resourceUsage().maxRSS), start_rss_mb: mb(rssBefore), estimated_peak_mb: Math.round(r.estimatedPeakBytes / 2 ** 20), first_loss: r.firstLoss, last_loss: r.lastLoss,
  }) + '\n');
}
