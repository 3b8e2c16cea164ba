#!/usr/bin/env node
// `npm run gpu-bench:pack`: builds bench/out/vp-gpu-bench.tar.gz, everything the GPU benchmark needs on a Linux x64
// machine with an NVIDIA GPU and no network — a Node binary, the CLI bundled into one file (esbuild; image decoding
// left out: the bench feeds random images), onnxruntime-node's JS and its linux-x64 native library (with the WebGPU
// EP), Vulkan's loader (Debian's libvulkan1, unpacked), ResNet-18 and ViT-B/16 with periodic weights (compress to
// almost nothing; scripts/gpu-bench/periodic_weights.py), the PyTorch step (scripts/bench/torch_step.py and the
// reference it imports), run.sh and bench.mjs. Fails if the archive is over 60 MiB.
//   npm run gpu-bench:pack
import { execFileSync } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';

const ROOT = join(import.meta.dirname, '../..');
const OUT = join(ROOT, 'bench/out');
const STAGE = join(OUT, 'vp-gpu-bench');
const TARBALL = join(OUT, 'vp-gpu-bench.tar.gz');
const PY = process.env.VP_PYTHON ?? '/usr/bin/python3';
const LIMIT = 60 * 2 ** 20;
const say = (s) => process.stderr.write(s + '\n');
const sh = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'], ...opts });
const mib = (n) => `${(n / 2 ** 20).toFixed(1)} MiB`;

rmSync(STAGE, { recursive: true, force: true });
for (const d of ['bin', 'models', 'vulkan', 'node_modules', 'scripts/bench', 'scripts/reference']) mkdirSync(join(STAGE, d), { recursive: true });

// 1. the backbones: random-weight torchvision exports, then periodic weights
for (const m of ['resnet18', 'vit_b_16']) {
  const src = join(ROOT, 'bench/models', `${m}.onnx`);
  if (!existsSync(src)) { say(`exporting ${m} …`); sh(PY, ['scripts/bench/export_backbones.py', '--out', 'bench/models', '--only', m]); }
  sh(PY, ['scripts/gpu-bench/periodic_weights.py', src, join(STAGE, 'models', `${m}.onnx`)]);
}

// 2. the CLI as one file (onnxruntime-node stays a package: its native binding is found relative to its JS)
await build({
  stdin: { contents: "import { main } from './src/cli/main.ts';\nprocess.exitCode = await main(process.argv.slice(2));\n", resolveDir: ROOT, loader: 'ts', sourcefile: 'gpu-bench-entry.ts' },
  bundle: true, platform: 'node', format: 'esm', target: 'node20', outfile: join(STAGE, 'vp-studio.mjs'), logLevel: 'warning',
  external: ['onnxruntime-node'],
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  plugins: [{
    name: 'no-image-decoding',
    setup(b) {
      b.onResolve({ filter: /^sharp$/ }, () => ({ path: 'sharp', namespace: 'stub' }));
      b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: "export default () => { throw new Error('image decoding is not part of the GPU benchmark package'); };", loader: 'js' }));
    },
  }],
});

// 3. onnxruntime-node (linux-x64 only) and onnxruntime-common
const ortNode = join(ROOT, 'node_modules/onnxruntime-node'), ortDst = join(STAGE, 'node_modules/onnxruntime-node');
for (const f of ['package.json', 'dist']) cpSync(join(ortNode, f), join(ortDst, f), { recursive: true });
cpSync(join(ortNode, 'bin/napi-v6/linux/x64'), join(ortDst, 'bin/napi-v6/linux/x64'), { recursive: true });
cpSync(join(ROOT, 'node_modules/onnxruntime-common'), join(STAGE, 'node_modules/onnxruntime-common'), { recursive: true });

// 4. Node itself, the PyTorch step, the driver
copyFileSync(process.execPath, join(STAGE, 'bin/node'));
copyFileSync(join(ROOT, 'scripts/bench/torch_step.py'), join(STAGE, 'scripts/bench/torch_step.py'));
copyFileSync(join(ROOT, 'scripts/reference/vp_reference.py'), join(STAGE, 'scripts/reference/vp_reference.py'));
for (const f of ['run.sh', 'bench.mjs', 'README.md']) copyFileSync(join(import.meta.dirname, f), join(STAGE, f));
sh('chmod', ['+x', join(STAGE, 'run.sh'), join(STAGE, 'bin/node')]);

// 5. Vulkan's loader from Debian (the GPU machine may have the driver but not the loader)
const tmp = mkdtempSync(join(tmpdir(), 'vp-vulkan-'));
try {
  sh('apt-get', ['download', 'libvulkan1'], { cwd: tmp });
  const deb = readdirSync(tmp).find((f) => f.endsWith('.deb'));
  sh('dpkg-deb', ['-x', join(tmp, deb), join(tmp, 'x')]);
  const lib = join(tmp, 'x/usr/lib/x86_64-linux-gnu');
  for (const f of readdirSync(lib).filter((f) => f.startsWith('libvulkan.so'))) cpSync(join(lib, f), join(STAGE, 'vulkan', f), { dereference: true });
  copyFileSync(join(tmp, deb), join(STAGE, 'vulkan', deb));
} catch (e) {
  throw new Error(`could not fetch Debian's libvulkan1 (apt-get download libvulkan1): ${e.message.split('\n')[0]}`);
} finally { rmSync(tmp, { recursive: true, force: true }); }

sh('tar', ['-czf', TARBALL, '-C', OUT, 'vp-gpu-bench']);
const size = statSync(TARBALL).size;
const du = (p) => Number(sh('du', ['-sb', p]).toString().split('\t')[0]);
say(`staged ${mib(du(STAGE))}: node ${mib(statSync(join(STAGE, 'bin/node')).size)}, onnxruntime ${mib(du(join(STAGE, 'node_modules')))}, models ${mib(du(join(STAGE, 'models')))}, CLI ${mib(statSync(join(STAGE, 'vp-studio.mjs')).size)}`);
say(`${TARBALL.replace(ROOT + '/', '')}: ${mib(size)} compressed (limit ${mib(LIMIT)})`);
if (size > LIMIT) { say('over the limit'); process.exit(1); }
