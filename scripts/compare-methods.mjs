#!/usr/bin/env node
// "Compare methods", measured: on each bundled starter and the demo task (public/demo/fashion), every method the
// starter supports with the settings the studio's Compare methods uses (src/store/compare-plan.ts: each paper's
// preset scaled to the backbone, one lp head, the same epochs × images), trained with `vp-studio train` for each
// epoch budget and seed asked for. Prints one Markdown table per starter and budget (mean over seeds, with the
// range), the winner and its margin over the runner-up (per seed too), and writes bench/compare-methods.json.
// Run: node scripts/compare-methods.mjs [--epochs 5,10] [--seeds 0,1,2] [--only resnet] [--threads 0]
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';

register();
const { compareEntries, cliFlags, settingsLine, COMPARE_EPOCHS } = await import('../src/store/compare-plan.ts');
const { STUDIO_DEFAULTS } = await import('../src/store/state.ts');

const ROOT = join(import.meta.dirname, '..');
const arg = (name, dflt) => { const i = process.argv.indexOf(`--${name}`); return i > 0 ? process.argv[i + 1] : dflt; };
const budgets = arg('epochs', String(COMPARE_EPOCHS)).split(',').map(Number);
const seeds = arg('seeds', '0').split(',').map(Number);
const only = arg('only', ''), threads = arg('threads', '0');
const DATA = join(ROOT, 'public/demo/fashion');
const trainImages = readdirSync(join(DATA, 'train')).reduce((n, c) => n + readdirSync(join(DATA, 'train', c)).length, 0);
const valImages = readdirSync(join(DATA, 'val')).reduce((n, c) => n + readdirSync(join(DATA, 'val', c)).length, 0);
const starters = JSON.parse(readFileSync(join(ROOT, 'models/starters.json'), 'utf8')).filter((s) => !only || s.id.includes(only));

function train(s, e, epochs, seed) {
  const out = join(ROOT, 'runs/compare-methods', `${s.id}-${e.method}-e${epochs}-s${seed}`);
  const args = ['train', '--model', join(ROOT, s.file), '--data', join(DATA, 'train'), '--val', join(DATA, 'val'), '--out', out, ...cliFlags(e.cfg), '--threads', threads, '--quiet'];
  const t0 = Date.now();
  const r = spawnSync(process.execPath, [join(ROOT, 'bin/vp-studio.mjs'), ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${s.id} ${e.method}: ${r.stderr.trim().split('\n').pop()}`);
  const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
  return { seed, finalVal: m.final.val_acc, bestVal: m.final.best_val_acc, trainable: m.trainableParameters, seconds: (Date.now() - t0) / 1000,
    command: `npx vp-studio ${args.map((a) => a.replace(ROOT + '/', '')).join(' ')}` };
}

const pct = (x) => `${(100 * x).toFixed(1)}%`;
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const range = (xs) => (xs.length > 1 ? ` (${pct(Math.min(...xs))}–${pct(Math.max(...xs))})` : '');
const results = [];
for (const s of starters) {
  for (const epochs of budgets) {
    const rows = [];
    for (const seed of seeds) {
      const base = { ...STUDIO_DEFAULTS, mean: s.mean, std: s.std, seed };
      for (const e of compareEntries({ base, family: s.family, inputSize: s.inputSize, trainImages, epochs, recommended: s.recommended })) {
        const t = train(s, e, epochs, seed);
        console.error(`${s.id} ${epochs} epochs seed ${seed} ${e.label}: final ${pct(t.finalVal)} best ${pct(t.bestVal)} (${t.seconds.toFixed(0)} s)`);
        let row = rows.find((r) => r.method === e.method);
        if (!row) rows.push(row = { method: e.method, label: e.label, settings: settingsLine(e), trainable: t.trainable, runs: [] });
        row.runs.push(t);
      }
    }
    for (const r of rows) Object.assign(r, { finalVal: mean(r.runs.map((t) => t.finalVal)), bestVal: mean(r.runs.map((t) => t.bestVal)), seconds: mean(r.runs.map((t) => t.seconds)) });
    const ranked = [...rows].sort((a, b) => b.finalVal - a.finalVal);
    // per seed: who won and by how much (final val accuracy, points)
    const perSeed = seeds.map((seed) => {
      const f = rows.map((r) => ({ label: r.label, v: r.runs.find((t) => t.seed === seed).finalVal })).sort((a, b) => b.v - a.v);
      return { seed, winner: f[0].label, margin: f.length > 1 ? f[0].v - f[1].v : 0 };
    });
    results.push({ starter: s.id, epochs, seeds, trainImages, valImages, rows, winner: ranked[0].label, margin: ranked.length > 1 ? ranked[0].finalVal - ranked[1].finalVal : 0, perSeed });
  }
}

for (const r of results) {
  console.log(`\n**${r.starter}, ${r.epochs} epochs × ${r.trainImages} images, seeds ${r.seeds.join(', ')}** (mean over seeds, range in brackets)\n`);
  console.log('| method | settings | trainable params | wall time (s) | best val acc | final val acc |');
  console.log('|---|---|---:|---:|---:|---:|');
  for (const w of r.rows) {
    const b = w.label === r.winner ? '**' : '';
    console.log(`| ${b}${w.label}${b} | ${w.settings} | ${w.trainable.toLocaleString('en')} | ${w.seconds.toFixed(0)} | ${pct(w.bestVal)} | ${b}${pct(w.finalVal)}${b}${range(w.runs.map((t) => t.finalVal))} |`);
  }
  console.log(`\nWinner: ${r.winner}, by ${(100 * r.margin).toFixed(1)} points over the runner-up (${Math.round(r.margin * r.valImages)} of ${r.valImages} validation images); per seed: ${r.perSeed.map((p) => `seed ${p.seed} ${p.winner} +${(100 * p.margin).toFixed(1)}`).join(', ')}.`);
}
mkdirSync(join(ROOT, 'bench'), { recursive: true });
const file = join(ROOT, `bench/compare-methods-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model }, threads, results }, null, 2) + '\n');
console.error(`wrote ${file}`);
