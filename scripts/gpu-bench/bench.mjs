#!/usr/bin/env node
// The GPU benchmark's driver, run by run.sh inside the unpacked package (it needs nothing from the repository):
// our compiled train step (`vp-studio bench --ep webgpu`, onnxruntime-node's native WebGPU EP) against the same
// step in PyTorch on the same GPU (fp32 eager, and torch.compile where it exists), one process per configuration,
// interleaved per row. Prints a ratio table (ours images/s ÷ PyTorch's: ≥ 0.5 is the aim) and writes
// results/gpu-<time>.json with the machine, the versions and every row.
//   ./run.sh [--ep webgpu|cpu] [--models resnet18,vit_b_16] [--batches 32,64] [--methods lorvp,vpt]
//            [--warmup 3] [--steps 10] [--torch auto|cuda|cpu|off] [--compile auto|on|off] [--threads N] [--timeout 300]
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';

const HERE = import.meta.dirname;
const argv = process.argv.slice(2);
const arg = (name, dflt) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const list = (name, dflt) => arg(name, dflt).split(',').filter(Boolean);
const ep = arg('ep', 'webgpu'), models = list('models', 'resnet18,vit_b_16'), batches = list('batches', '32,64').map(Number);
const methods = list('methods', 'lorvp,vpt'), warmup = arg('warmup', '3'), steps = arg('steps', '10');
const threads = arg('threads', String(cpus().length)), timeoutS = Number(arg('timeout', '300'));
const PY = process.env.VP_PYTHON ?? 'python3';
const say = (s) => process.stderr.write(s + '\n');

function run(cmd, args, what) {
  const t0 = Date.now();
  const r = spawnSync(cmd, args, { cwd: HERE, encoding: 'utf8', maxBuffer: 1 << 26, timeout: timeoutS * 1000, env: { ...process.env, OMP_NUM_THREADS: threads } });
  if (r.error?.code === 'ETIMEDOUT' || r.signal) throw new Error(`${what}: no result in ${timeoutS} s`);
  if (r.status !== 0) throw new Error(`${what} failed (exit ${r.status}): ${((r.stderr || '') + (r.stdout || '')).trim().split('\n').filter((l) => !/^\s*$|^Warning:|^\s+at |^ - /.test(l)).slice(-2).join(' | ')}`);
  const json = r.stdout.trim().split('\n').filter((l) => l.startsWith('{')).pop();
  if (!json) throw new Error(`${what} printed no JSON line`);
  return { ...JSON.parse(json), wall_s: (Date.now() - t0) / 1000 };
}
const probe = (code) => { const r = spawnSync(PY, ['-c', code], { encoding: 'utf8', timeout: 120_000 }); return r.status === 0 ? r.stdout.trim() : undefined; };

// which PyTorch runs: CUDA when this machine's torch has it (auto), else none — `--torch cpu` for a dry run
const torchInfo = probe('import torch, torchvision; print(torch.__version__, torchvision.__version__, int(torch.cuda.is_available()), int(hasattr(torch, "compile")))');
const [torchVersion, visionVersion, hasCuda, hasCompile] = torchInfo ? torchInfo.split(' ') : [];
let torchDevice = arg('torch', 'auto');
if (torchDevice === 'auto') torchDevice = hasCuda === '1' ? 'cuda' : 'off';
if (torchDevice !== 'off' && !torchInfo) { say(`PyTorch: "${PY}" cannot import torch and torchvision; its columns stay empty`); torchDevice = 'off'; }
if (torchDevice === 'cuda' && hasCuda !== '1') { say('PyTorch: this torch has no usable CUDA device; its columns stay empty'); torchDevice = 'off'; }
const compileWanted = arg('compile', 'auto');
const compile = torchDevice !== 'off' && hasCompile === '1' && (compileWanted === 'on' || (compileWanted === 'auto' && torchDevice === 'cuda'));

const gpu = spawnSync('nvidia-smi', ['--query-gpu=name,driver_version,memory.total', '--format=csv,noheader'], { encoding: 'utf8' });
const machine = {
  gpu: gpu.status === 0 ? gpu.stdout.trim() : 'no nvidia-smi', cpu: cpus()[0]?.model, cores: cpus().length, memoryGiB: Math.round(totalmem() / 2 ** 30),
  os: `${process.platform} ${release()}`, vkIcd: process.env.VK_ICD_FILENAMES ?? null,
};
const versions = { node: process.version, torch: torchVersion ?? null, torchvision: visionVersion ?? null };
say(`machine: ${machine.gpu}; ${machine.cpu}, ${machine.cores} cores; ours on --ep ${ep}; PyTorch ${torchVersion ?? '–'} on ${torchDevice}${compile ? ' (+ torch.compile)' : ''}`);

const rows = [];
mkdirSync(join(HERE, 'results'), { recursive: true });
const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19);
const file = join(HERE, 'results', `gpu-${stamp}.json`);
const save = () => writeFileSync(file, JSON.stringify({ kind: 'gpu', date: new Date().toISOString(), ep, machine, versions, torchDevice, compile, warmup: Number(warmup), steps: Number(steps), rows }, null, 2) + '\n');
const common = (m, method, batch) => ['--method', method, '--batch', String(batch), '--threads', threads, '--warmup', warmup, '--steps', steps];
for (const m of models) {
  for (const batch of batches) {
    for (const method of methods) {
      if (method.startsWith('vpt') && !m.startsWith('vit')) continue;
      const row = { model: m, method, head: 'lp', batch };
      try {
        row.ours = run(process.execPath, [join(HERE, 'vp-studio.mjs'), 'bench', '--model', join('models', `${m}.onnx`), '--ep', ep, '--no-stats', ...common(m, method, batch)], `ours ${m} ${method} b${batch}`);
        if (ep === 'webgpu') delete row.ours.peak_rss_mb;   // host memory says nothing about the GPU's
      } catch (e) { row.oursError = e.message; }
      if (torchDevice !== 'off') {
        const t = [join('scripts/bench/torch_step.py'), '--arch', m, '--device', torchDevice, ...common(m, method, batch)];
        try { row.torch = run(PY, t, `torch ${m} ${method} b${batch}`); } catch (e) { row.torchError = e.message; }
        if (compile) try { row.torchCompiled = run(PY, [...t, '--compile'], `torch.compile ${m} ${method} b${batch}`); } catch (e) { row.torchCompiledError = e.message; }
      }
      if (row.ours && row.torch) row.vsEager = row.torch.median_ms / row.ours.median_ms;
      if (row.ours && row.torchCompiled) row.vsCompiled = row.torchCompiled.median_ms / row.ours.median_ms;
      rows.push(row);
      save();
      const f = (x, d = 1) => (x === undefined ? '–' : x.toFixed(d));
      say(`${m} ${method}+lp b${batch}: ours ${f(row.ours?.median_ms)} ms, torch ${f(row.torch?.median_ms)} ms${compile ? `, compiled ${f(row.torchCompiled?.median_ms)} ms` : ''}; ours/torch throughput ${f(row.vsEager, 2)}` +
        ['oursError', 'torchError', 'torchCompiledError'].filter((k) => row[k]).map((k) => ` [${row[k]}]`).join(''));
    }
  }
}
save();
const f = (x, d = 1) => (x === undefined ? '–' : x.toFixed(d));
console.log(`\n${machine.gpu} · ours: onnxruntime-node --ep ${ep} · PyTorch ${torchVersion ?? '–'} (${torchDevice}, fp32)\n`);
console.log('| model | method | batch | ours ms/step | ours img/s | PyTorch eager ms/step | ours ÷ eager (throughput) | torch.compile ms/step | ours ÷ compiled |');
console.log('|---|---|---:|---:|---:|---:|---:|---:|---:|');
const partly = (r) => (r.ours?.cpu_fallback ? ' †' : '');
for (const r of rows) console.log(`| ${r.model} | ${r.method}+lp | ${r.batch} | ${f(r.ours?.median_ms)}${partly(r)} | ${f(r.ours?.images_per_s)} | ${f(r.torch?.median_ms)} | ${f(r.vsEager, 2)} | ${f(r.torchCompiled?.median_ms)} | ${f(r.vsCompiled, 2)} |`);
if (rows.some((r) => r.ours?.cpu_fallback)) console.log('\n† onnxruntime ran some of the step\'s nodes on the CPU EP (no WebGPU kernel): rerun that row with `vp-studio.mjs bench … --verbose` to see which');
console.log(`\nwritten ${file}`);
if (rows.every((r) => !r.ours)) process.exitCode = 1;
