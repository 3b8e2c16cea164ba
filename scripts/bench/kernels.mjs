#!/usr/bin/env node
// `npm run bench:kernels`: the size of each compiled train step — our graph's nodes, onnxruntime's kernels after its
// optimisations (fusions, constant folding; CPU EP), the step's forward+backward GFLOPs per image and the bytes of
// frozen weights before and after onnxruntime's folding — for the starters, ResNet-18 and ViT-B/16 (random-weight
// torchvision exports, scripts/bench/export_backbones.py) and the methods LoR-VP, VPT, pad and none (linear-probe
// head; pad width 30 at 224², 4 on the 32² starters), through `vp-studio bench` at batch 2. Prints a Markdown table and writes bench/kernels-<time>.json.
//   npm run bench:kernels [-- --models models/starter-resnet.onnx,... --methods lorvp,vpt,pad,none]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const argv = process.argv.slice(2);
const arg = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const models = arg('models', 'models/starter-resnet.onnx,models/starter-vit.onnx,bench/models/resnet18.onnx,bench/models/vit_b_16.onnx').split(',');
const methods = arg('methods', 'lorvp,vpt,pad,none').split(',');
for (const m of models.filter((p) => p.startsWith('bench/models/') && !existsSync(join(ROOT, p)))) {
  process.stderr.write(`exporting ${m} …\n`);
  execFileSync(process.env.VP_PYTHON ?? '/usr/bin/python3', ['scripts/bench/export_backbones.py', '--out', 'bench/models', '--only', basename(m, '.onnx')], { cwd: ROOT, stdio: 'inherit' });
}
const rows = [];
for (const model of models) {
  for (const method of methods) {
    if (method.startsWith('vpt') && !/vit/.test(model)) continue;
    const out = execFileSync(process.execPath, [join(ROOT, 'bin/vp-studio.mjs'), 'bench', '--model', model, '--method', method, '--batch', '2', '--steps', '1', '--warmup', '0', '--threads', '2', '--pad-width', /starter/.test(model) ? '4' : '30'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
    const r = JSON.parse(out.trim().split('\n').pop());
    rows.push({ model: basename(model, '.onnx'), method, nodes: r.step_nodes, kernels: r.ort_kernels, gflopsPerImage: r.step_gflops / 2, weightsMiB: r.step_weights_mib, ortWeightsMiB: r.ort_weights_mib, topKernels: Object.entries(r.ort_kernels_by_op).sort((a, b) => b[1] - a[1]).slice(0, 5) });
    process.stderr.write(`${model} ${method}: ${r.step_nodes} nodes → ${r.ort_kernels} kernels\n`);
  }
}
mkdirSync(join(ROOT, 'bench'), { recursive: true });
const file = join(ROOT, `bench/kernels-${new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), batch: 2, rows }, null, 2) + '\n');
console.log('| backbone | method | our step nodes | onnxruntime kernels | GFLOPs / image (fwd+bwd) | frozen weights MiB (ours → onnxruntime) | most kernels |');
console.log('|---|---|---:|---:|---:|---:|---|');
for (const r of rows) console.log(`| ${r.model} | ${r.method}+lp | ${r.nodes} | ${r.kernels} | ${r.gflopsPerImage.toFixed(2)} | ${r.weightsMiB} → ${r.ortWeightsMiB} | ${r.topKernels.map(([k, n]) => `${k} ${n}`).join(', ')} |`);
console.log(`\nwritten ${file.replace(ROOT + '/', '')}`);
