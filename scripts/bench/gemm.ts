// `npm run bench:gemm [-- --batch 8 --threads 2 --reps 12]`: the ViT-B/16 step's GEMM shapes (M = batch·197 rows) timed
// alone on onnxruntime-node (one Gemm with a constant B, then a ReduceMean so no large output is copied out) and in
// PyTorch (`x @ W`, same thread count, Debian's torch through the system BLAS), interleaved, median of --reps runs
// each. Tells whether a gap between our step and PyTorch's is in the matrix products or around them.
import { spawnSync } from 'node:child_process';
import * as ort from 'onnxruntime-node';
import { Builder } from '../../src/onnx/builder.ts';
import { encodeModel } from '../../src/onnx/codec.ts';
import { Graph } from '../../src/onnx/ir.ts';

const argv = process.argv.slice(2);
const arg = (name: string, dflt: string) => { const i = argv.indexOf(`--${name}`); return i >= 0 ? argv[i + 1] : dflt; };
const threads = Number(arg('threads', '2')), reps = Number(arg('reps', '12')), M = 197 * Number(arg('batch', '8'));
const SHAPES: [number, number, number, boolean][] = [   // M, K, N, transB (the input gradients' Gemm(dY, W, transB=1))
  [M, 768, 2304, false], [M, 768, 3072, false], [M, 3072, 768, false], [M, 768, 3072, true], [M, 2304, 768, true],
];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function ours(M: number, K: number, N: number, transB: boolean): Promise<number> {
  const g = new Graph();
  const x = g.value('x'); x.dtype = 'float32'; x.shape = [M, K];
  g.inputs = [x];
  const b = new Builder(g);
  const w = g.addInitializer('W', { dtype: 'float32', shape: transB ? [N, K] : [K, N], data: Float32Array.from({ length: K * N }, (_, i) => ((i * 7919) % 997) / 997 - 0.5) });
  const y = b.op('Gemm', [x, w], { transB: { type: 'int', value: transB ? 1 : 0 } });
  g.outputs = [b.reduce('ReduceMean', y, [0, 1], false)];
  const s = await ort.InferenceSession.create(encodeModel(g), { intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const feed = { x: new ort.Tensor('float32', Float32Array.from({ length: M * K }, (_, i) => ((i * 31) % 101) / 101), [M, K]) };
  const t: number[] = [];
  for (let i = 0; i < reps + 2; i++) { const a = performance.now(); await s.run(feed); if (i >= 2) t.push(performance.now() - a); }
  await s.release();
  return median(t);
}

function torch(M: number, K: number, N: number, transB: boolean): number {
  const py = `import time, torch\ntorch.set_num_threads(${threads})\nx = torch.rand(${M}, ${K}); W = torch.rand(${transB ? `${N}, ${K}` : `${K}, ${N}`})\n`
    + `t = []\nfor i in range(${reps + 2}):\n  a = time.perf_counter(); y = x @ ${transB ? 'W.t()' : 'W'}; s = y.sum(); t.append(time.perf_counter() - a)\n`
    + `t = sorted(t[2:]); print(t[len(t) // 2] * 1000)\n`;
  const r = spawnSync('/usr/bin/python3', ['-c', py], { encoding: 'utf8', env: { ...process.env, OMP_NUM_THREADS: String(threads) } });
  if (r.status !== 0) throw new Error(`torch: ${r.stderr.trim().split('\n').pop()}`);
  return Number(r.stdout.trim());
}

console.log(`| M×K×N | transB | onnxruntime ms | PyTorch ms | ratio | onnxruntime GFLOP/s |\n|---|---|---:|---:|---:|---:|`);
for (const [M, K, N, tb] of SHAPES) {
  const a = await ours(M, K, N, tb), p = torch(M, K, N, tb);
  console.log(`| ${M}×${K}×${N} | ${tb ? 'yes' : 'no'} | ${a.toFixed(1)} | ${p.toFixed(1)} | ${(a / p).toFixed(2)} | ${(2 * M * K * N / a / 1e6).toFixed(0)} |`);
}
