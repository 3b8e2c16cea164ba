#!/usr/bin/env node
// `npm run bench`: our compiled training step on onnxruntime-node (CPU) against the same step in PyTorch (Debian's
// torch, CPU, same thread count), in the same run, for ResNet-18 and ViT-B/16 at 224×224 (random-weight torchvision
// exports made by scripts/bench/export_backbones.py, not committed) — one process per configuration and engine, so
// peak memory is per configuration. Prints a ratio table (ours / PyTorch) and writes bench/cpu-<time>.json with the
// machine and the versions. Also times the `none` feature cache: epochs after the first vs the first.
//   npm run bench [-- --models resnet18,vit_b_16 --batches 16,32 --methods lorvp,vpt,vpt-deep,pad,none
//                     --threads 2 --warmup 2 --steps 5 --no-cache-epochs]
//   npm run bench -- --large   the ViT-L/16- and ViT-H/14-sized steps (random weights; ViT-H/14's 2.5 GB of weights
//                              pass protobuf's 2 GiB: the export is model.onnx + .onnx_data and our compiled step is
//                              handed to onnxruntime as external data): batch 4, lorvp and vpt, 1 warm-up + 2 steps
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem, release } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const argv = process.argv.slice(2);
const arg = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const list = (name, dflt) => arg(name, dflt).split(',').filter(Boolean);
const PY = process.env.VP_PYTHON ?? '/usr/bin/python3';
const large = argv.includes('--large');
const models = list('models', large ? 'vit_l_16,vit_h_14' : 'resnet18,vit_b_16'), batches = list('batches', large ? '4' : '16,32').map(Number);
const methods = list('methods', large ? 'lorvp,vpt' : 'lorvp,vpt,vpt-deep,pad,none');
const threads = Number(arg('threads', String(cpus().length))), warmup = arg('warmup', large ? '1' : '2'), steps = arg('steps', large ? '2' : '5');
const modelDir = join(ROOT, 'bench/models');

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26, env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}
const lastJson = (out) => JSON.parse(out.trim().split('\n').filter((l) => l.startsWith('{')).pop());

for (const m of models) {
  if (!existsSync(join(modelDir, `${m}.onnx`)) || !existsSync(join(modelDir, `${m}.pt`))) {
    console.error(`exporting ${m} (random weights) to bench/models/ …`);
    run(PY, ['scripts/bench/export_backbones.py', '--out', modelDir, '--only', m], `export ${m}`);
  }
}

const versions = {
  node: process.version,
  onnxruntime: JSON.parse(readFileSync(join(ROOT, 'node_modules/onnxruntime-node/package.json'), 'utf8')).version,
  torch: run(PY, ['-c', 'import torch, torchvision; print(torch.__version__, torchvision.__version__)'], 'torch version').trim(),
};
const machine = { cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${process.platform} ${release()}`, threads };
console.error(`machine: ${machine.cpu}, ${machine.cores} cores, ${machine.memoryGiB} GiB; ${threads} threads; onnxruntime-node ${versions.onnxruntime}, torch ${versions.torch}`);

const rows = [];
mkdirSync(join(ROOT, 'bench'), { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const file = join(ROOT, `bench/cpu-${stamp}.json`);
let cache;
const save = () => writeFileSync(file, JSON.stringify({ kind: 'cpu', date: new Date().toISOString(), machine, versions, warmup: Number(warmup), steps: Number(steps), rows, cache }, null, 2) + '\n');
for (const m of models) {
  const family = m.startsWith('vit') ? 'vit' : 'resnet';
  for (const batch of batches) {
    for (const method of methods) {
      if (method.startsWith('vpt') && family !== 'vit') continue;
      const common = ['--method', method, '--batch', String(batch), '--threads', String(threads), '--warmup', warmup, '--steps', steps];
      const row = { model: m, method, head: 'lp', batch };
      try {
        row.ours = lastJson(run(process.execPath, [join(ROOT, 'bin/vp-studio.mjs'), 'bench', '--model', join(modelDir, `${m}.onnx`), ...common], `vp-studio bench ${m} ${method} ${batch}`));
      } catch (e) { row.oursError = e.message; }
      try {
        row.torch = lastJson(run(PY, ['scripts/bench/torch_step.py', '--model', join(modelDir, `${m}.pt`), '--arch', m, ...common], `torch_step ${m} ${method} ${batch}`));
      } catch (e) { row.torchError = e.message; }
      if (row.ours && row.torch) {
        row.timeRatio = row.ours.median_ms / row.torch.median_ms;
        row.memoryRatio = row.ours.peak_rss_mb / row.torch.peak_rss_mb;
      }
      rows.push(row);
      save();
      const f = (x) => (x === undefined ? '–' : x.toFixed(2));
      console.error(`${m} b${batch} ${method}+lp: ours ${f(row.ours?.median_ms)} ms, torch ${f(row.torch?.median_ms)} ms, time ratio ${f(row.timeRatio)}, memory ratio ${f(row.memoryRatio)}${row.oursError ? ` [ours: ${row.oursError}]` : ''}${row.torchError ? ` [torch: ${row.torchError}]` : ''}`);
    }
  }
}

// the `none` feature cache: a 3-epoch none+lp run on the demo task; later epochs vs the first
if (!argv.includes('--no-cache-epochs') && models.includes('resnet18')) {
  const out = join(ROOT, 'bench/out/none-cache');
  run(process.execPath, [join(ROOT, 'bin/vp-studio.mjs'), 'train', '--model', join(modelDir, 'resnet18.onnx'), '--data', 'public/demo/fashion/val', '--out', out, '--method', 'none', '--head', 'lp',
    '--epochs', '3', '--batch-size', '32', '--no-augment', '--val-fraction', '0.2', '--threads', String(threads), '--quiet'], 'none cache run');
  const ep = readFileSync(join(out, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => 'train_acc' in r);
  cache = { model: 'resnet18', images: 'public/demo/fashion/val (80% of 500)', epochSeconds: ep.map((e) => e.seconds), laterVsFirst: ep.slice(1).map((e) => ep[0].seconds / e.seconds) };
  console.error(`none cache: epoch seconds ${cache.epochSeconds.map((s) => s.toFixed(2)).join(', ')} → later epochs ${cache.laterVsFirst.map((r) => r.toFixed(0) + '×').join(', ')} faster`);
}

save();

const f1 = (x, d = 0) => (x === undefined ? '–' : x.toFixed(d));
console.log(`\n${machine.cpu} · ${threads} threads · onnxruntime-node ${versions.onnxruntime} · torch ${versions.torch}\n`);
console.log('| model | method | batch | ours ms/step | PyTorch ms/step | time ratio | ours img/s | ours peak MiB | PyTorch peak MiB | memory ratio | compile s | session s |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.model} | ${r.method}+lp | ${r.batch} | ${f1(r.ours?.median_ms)} | ${f1(r.torch?.median_ms)} | ${f1(r.timeRatio, 2)} | ${f1(r.ours?.images_per_s, 1)} | ${f1(r.ours?.peak_rss_mb)} | ${f1(r.torch?.peak_rss_mb)} | ${f1(r.memoryRatio, 2)} | ${f1(r.ours?.compile_s, 1)} | ${f1(r.ours?.session_s, 1)} |`);
}
console.log(`\nwritten ${file.replace(ROOT + '/', '')}`);
