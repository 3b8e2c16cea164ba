#!/usr/bin/env node
// The first-visit demo, measured: on each bundled starter, LoR-VP + lp with the studio's defaults (5 epochs, batch 32,
// SGD momentum 0.9, weight decay 1e-4, cosine, no augmentation) and the learning rates the starter recommends
// (models/starters.json `recommended`), against the linear probe (method none) at its best learning rate of the
// demo-table grid (0.05, 0.5). Prints a Markdown table with the prompt's magnitude max |B·A| and writes
// bench/demo-defaults.json. Run: npm run demo-defaults
// How a starter's prompt lr is chosen: npm run demo-defaults -- --sweep 0.05,0.1,0.2,0.5 [--seeds 0,1,2] [--only resnet]
// trains that LoR-VP run at the starter's head lr and each prompt lr for each seed, prints the mean validation accuracy
// per prompt lr (and how many seeds diverged) and merges them into bench/prompt-lr-sweep.json instead (a row per
// starter and prompt lr; other starters' rows and other prompt lrs are kept).
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, earlierRows, readStarters } from './measure-files.mjs';

const starters = readStarters();

/** The float32 tensors of a safetensors file. */
function readSafetensors(path) {
  const b = readFileSync(path);
  const n = Number(b.readBigUInt64LE(0));
  const header = JSON.parse(b.subarray(8, 8 + n).toString('utf8'));
  const out = {};
  for (const [k, v] of Object.entries(header)) {
    if (k === '__metadata__' || v.dtype !== 'F32') continue;
    const [s, e] = v.data_offsets;
    out[k] = { shape: v.shape, data: new Float32Array(b.buffer.slice(b.byteOffset + 8 + n + s, b.byteOffset + 8 + n + e)) };
  }
  return out;
}

/** max |B·A| of a LoR-VP prompt (B (3,L,r), A (3,r,L)). */
function maxPrompt(t) {
  const B = t['prompt.B'], A = t['prompt.A'];
  if (!B || !A) return null;
  const [C, L, r] = B.shape;
  let m = 0;
  for (let c = 0; c < C; c++) for (let i = 0; i < L; i++) for (let j = 0; j < L; j++) {
    let v = 0;
    for (let k = 0; k < r; k++) v += B.data[(c * L + i) * r + k] * A.data[(c * r + k) * L + j];
    m = Math.max(m, Math.abs(v));
  }
  return m;
}

function train(s, name, extra, seed = 0) {
  const out = join(ROOT, 'runs/demo-defaults', `${s.id}-${name}${seed ? `-s${seed}` : ''}`);
  const args = ['train', '--model', join(ROOT, s.file), '--data', join(ROOT, 'public/demo/fashion/train'), '--val', join(ROOT, 'public/demo/fashion/val'),
    '--out', out, '--head', 'lp', '--epochs', '5', '--batch-size', '32', '--no-augment', '--mean', s.mean.join(','), '--std', s.std.join(','), '--seed', String(seed), '--quiet', ...extra];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/vp-studio.mjs'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${s.id} ${name}: ${r.stderr.trim().split('\n').pop()}`);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  return { name, valAcc: m.final.val_acc, trainable: m.trainableParameters, maxP: maxPrompt(readSafetensors(join(out, 'prompt.safetensors'))), seconds: (Date.now() - t0) / 1000, command: `npx vp-studio ${args.map((a) => a.replace(ROOT + '/', '')).join(' ')}` };
}

// unknown or misspelt options are refused by name (parseArgs strict), not silently ignored
const { values: opts } = parseArgs({ options: { sweep: { type: 'string', default: '' }, only: { type: 'string', default: '' }, seeds: { type: 'string', default: '0,1,2' } } });
const { sweep, only } = opts;
if (sweep) {
  const seeds = opts.seeds.split(',').map(Number);
  const out = [];
  console.log('| starter | head lr | prompt lr | mean val acc | per seed | diverged |\n|---|---:|---:|---:|---|---:|');
  for (const s of readStarters(only)) {
    const lr = (s.recommended ?? { lr: 0.5 }).lr;
    for (const plr of sweep.split(',').map(Number)) {
      const runs = seeds.map((seed) => {
        try {
          return { seed, ...train(s, `lorvp-plr${plr}`, ['--method', 'lorvp', '--lr', String(lr), '--prompt-lr', String(plr)], seed) };
        } catch (e) {
          if (!/diverged/.test(String(e))) throw e;
          return { seed, diverged: true, error: String(e.message).slice(0, 200) };
        }
      });
      const ok = runs.filter((r) => !r.diverged);
      const mean = ok.length ? ok.reduce((a, r) => a + r.valAcc, 0) / ok.length : null;
      out.push({ starter: s.id, lr, promptLr: plr, mean, seeds, date: new Date().toISOString(), runs });
      console.log(`| ${s.id} | ${lr} | ${plr} | ${mean === null ? '–' : `${(mean * 100).toFixed(1)}%`} | ${runs.map((r) => (r.diverged ? 'diverged' : `${(r.valAcc * 100).toFixed(1)}`)).join(' / ')} | ${runs.length - ok.length} of ${runs.length} |`);
    }
  }
  mkdirSync(join(ROOT, 'bench'), { recursive: true });
  // merged into the earlier sweeps: a row per (starter, prompt lr), this run's rows replacing the same ones
  const file = join(ROOT, 'bench/prompt-lr-sweep.json');
  const kept = earlierRows(file, (r) => !out.some((o) => o.starter === r.starter && o.promptLr === r.promptLr));
  const rowsAll = [...kept, ...out].sort((x, y) => x.starter.localeCompare(y.starter) || x.promptLr - y.promptLr);
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), rows: rowsAll }, null, 2) + '\n');
  process.exit(0);
}

const rows = [];
for (const s of starters) {
  const rec = s.recommended ?? { lr: 0.02, promptLr: 0 };
  const probe = [0.05, 0.5].map((lr) => train(s, `none-lr${lr}`, ['--method', 'none', '--lr', String(lr)])).sort((a, b) => b.valAcc - a.valAcc)[0];
  const lorvp = train(s, 'lorvp-default', ['--method', 'lorvp', '--lr', String(rec.lr), ...(rec.promptLr ? ['--prompt-lr', String(rec.promptLr)] : [])]);
  rows.push({ starter: s.id, recommended: rec, probe, lorvp });
  console.error(`${s.id}: linear probe ${(probe.valAcc * 100).toFixed(1)} %, LoR-VP ${(lorvp.valAcc * 100).toFixed(1)} % (max |P| ${lorvp.maxP.toFixed(2)})`);
}
console.log('| starter | run | lr (prompt lr) | trainable params | val acc | max \\|B·A\\| | time (s) |');
console.log('|---|---|---|---:|---:|---:|---:|');
for (const r of rows) {
  console.log(`| ${r.starter} | linear probe (none + lp) | ${r.probe.name.replace('none-lr', '')} | ${r.probe.trainable.toLocaleString('en')} | ${(r.probe.valAcc * 100).toFixed(1)}% | – | ${r.probe.seconds.toFixed(0)} |`);
  console.log(`| ${r.starter} | **studio default: LoR-VP + lp** | ${r.recommended.lr}${r.recommended.promptLr ? ` (${r.recommended.promptLr})` : ''} | ${r.lorvp.trainable.toLocaleString('en')} | **${(r.lorvp.valAcc * 100).toFixed(1)}%** | ${r.lorvp.maxP.toFixed(2)} | ${r.lorvp.seconds.toFixed(0)} |`);
}
mkdirSync(join(ROOT, 'bench'), { recursive: true });
writeFileSync(join(ROOT, 'bench/demo-defaults.json'), JSON.stringify({ date: new Date().toISOString(), rows }, null, 2) + '\n');
