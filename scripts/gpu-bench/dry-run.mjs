#!/usr/bin/env node
// `npm run gpu-bench:dry`: the GPU benchmark's dry run on a machine with no GPU — packs the archive, unpacks it in a
// temporary folder with nothing of the repository around it, and runs it (1) on the CPU EP and CPU PyTorch at
// batch 2 for both backbones and (2) on the WebGPU EP over Chromium's SwiftShader Vulkan driver, when it is
// installed, for ResNet-18 LoR-VP at batch 2 (the real path: run.sh's Vulkan setup, Dawn, the carried loader forced with VP_VULKAN=carried).
// Exits non-zero if a row has no result, or if the WebGPU row ran some nodes on the CPU EP.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(import.meta.dirname, '../..');
const SWIFTSHADER = '/usr/lib/chromium/vk_swiftshader_icd.json';
execFileSync(process.execPath, [join(import.meta.dirname, 'pack.mjs')], { stdio: 'inherit' });
const tmp = mkdtempSync(join(tmpdir(), 'vp-gpu-dry-'));
let failed = false;
try {
  execFileSync('tar', ['-xzf', join(ROOT, 'bench/out/vp-gpu-bench.tar.gz'), '-C', tmp]);
  const pkg = join(tmp, 'vp-gpu-bench');
  const check = (what, args, env) => {
    process.stderr.write(`\n== dry run: ${what}\n`);
    execFileSync(join(pkg, 'run.sh'), args, { stdio: 'inherit', env: { ...process.env, ...env, VP_PYTHON: process.env.VP_PYTHON ?? '/usr/bin/python3' } });
    const results = readdirSync(join(pkg, 'results')).sort();
    const r = JSON.parse(readFileSync(join(pkg, 'results', results[results.length - 1]), 'utf8'));
    for (const row of r.rows) {
      const bad = !row.ours || (r.torchDevice !== 'off' && !row.torch);
      if (bad) { failed = true; process.stderr.write(`FAILED ${row.model} ${row.method} b${row.batch}: ${row.oursError ?? row.torchError ?? 'no result'}\n`); }
      if (row.ours?.cpu_fallback) { failed = true; process.stderr.write(`FAILED ${row.model} ${row.method} b${row.batch}: some nodes ran on the CPU EP\n`); }
    }
  };
  check('CPU EP and CPU PyTorch, both backbones, batch 2', ['--ep', 'cpu', '--torch', 'cpu', '--compile', 'off', '--batches', '2', '--warmup', '0', '--steps', '1', '--threads', '2']);
  if (existsSync(SWIFTSHADER)) check('WebGPU EP on SwiftShader, ResNet-18 LoR-VP, batch 2', ['--ep', 'webgpu', '--torch', 'off', '--models', 'resnet18', '--methods', 'lorvp', '--batches', '2', '--warmup', '0', '--steps', '1'], { VK_ICD_FILENAMES: SWIFTSHADER, VP_VULKAN: 'carried' });
  else process.stderr.write(`\n(no ${SWIFTSHADER}: the WebGPU part of the dry run is skipped)\n`);
} finally { rmSync(tmp, { recursive: true, force: true }); }
process.stderr.write(failed ? '\ndry run FAILED\n' : '\ndry run passed\n');
process.exitCode = failed ? 1 : 0;
