#!/usr/bin/env node
// "Compare methods", measured: on each bundled starter and the demo task (public/demo/fashion), every method the
// starter supports with the settings the studio's Compare methods uses (src/store/compare-plan.ts: each paper's
// preset scaled to the backbone, one lp head, the same epochs × images), trained with `vp-studio train` for each
// epoch budget and seed asked for. Prints one Markdown table per starter and budget (mean over seeds, with the
// range), the winner and its margin over the runner-up (per seed too), and writes bench/compare-methods.json.
// Wall time is the run's own (manifest `final.seconds`: compiling, the epochs and their validation passes).
// --reuse: a run directory whose manifest already holds the same settings is read instead of trained again (a sweep
// stopped half-way goes on where it stopped).
// Run: node scripts/compare-methods.mjs [--epochs 5,10] [--seeds 0,1,2] [--only resnet] [--threads 0] [--reuse]
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { register } from 'tsx/esm/api';
import { ROOT, readStarters } from './measure-files.mjs';

register();
const { compareEntries, cliFlags, settingsLine, COMPARE_EPOCHS } = await import('../src/store/compare-plan.ts');
const { STUDIO_DEFAULTS } = await import('../src/store/state.ts');

// unknown or misspelt options are refused by name (parseArgs strict), not silently ignored
const { values: opts } = parseArgs({ options: { epochs: { type: 'string', default: String(COMPARE_EPOCHS) }, seeds: { type: 'string', default: '0' }, only: { type: 'string', default: '' }, threads: { type: 'string', default: '0' }, reuse: { type: 'boolean', default: false } } });
const budgets = opts.epochs.split(',').map(Number);
const seeds = opts.seeds.split(',').map(Number);
const { only, threads } = opts;
const DATA = join(ROOT, 'public/demo/fashion');
const trainImages = readdirSync(join(DATA, 'train')).reduce((n, c) => n + readdirSync(join(DATA, 'train', c)).length, 0);
const valImages = readdirSync(join(DATA, 'val')).reduce((n, c) => n + readdirSync(join(DATA, 'val', c)).length, 0);
const starters = readStarters(only);

const reuse = opts.reuse;
/** The settings a run is defined by (what cliFlags passes), to tell whether a saved run is this one. */
const KEYS = ['method', 'head', 'epochs', 'batchSize', 'lr', 'promptLr', 'optimizer', 'momentum', 'weightDecay', 'scheduler', 'warmup', 'mean', 'std', 'seed', 'rank', 'init', 'padWidth', 'tokens', 'augment', 'shuffle'];
const same = (a, b) => KEYS.every((k) => JSON.stringify(a[k]) === JSON.stringify(b[k]) || (['rank', 'init', 'padWidth', 'tokens'].includes(k) && !cliFlags(b).includes(`--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`)));

function train(s, e, epochs, seed) {
  const out = join(ROOT, 'runs/compare-methods', `${s.id}-${e.method}-e${epochs}-s${seed}`);
  const args = ['train', '--model', join(ROOT, s.file), '--data', join(DATA, 'train'), '--val', join(DATA, 'val'), '--out', out, ...cliFlags(e.cfg), '--threads', threads, '--quiet'];
  const saved = join(out, 'manifest.json');
  const old = reuse && existsSync(saved) ? JSON.parse(readFileSync(saved, 'utf8')) : undefined;
  if (!old || old.final?.epoch !== epochs - 1 || !same(old.settings, e.cfg)) {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin/vp-studio.mjs'), ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${s.id} ${e.method}: ${r.stderr.trim().split('\n').pop()}`);
  }
  const m = JSON.parse(readFileSync(saved, 'utf8'));
  return { seed, finalVal: m.final.val_acc, bestVal: m.final.best_val_acc, trainable: m.trainableParameters, seconds: m.final.seconds, reused: !!old,
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
    // each prompt against the linear probe, seed by seed (final val accuracy, points)
    const probe = rows.find((r) => r.method === 'none');
    const overProbe = probe ? rows.filter((r) => r !== probe).map((r) => {
      const d = r.runs.map((t) => t.finalVal - probe.runs.find((p) => p.seed === t.seed).finalVal);
      return { label: r.label, mean: mean(d), min: Math.min(...d), max: Math.max(...d), wins: d.filter((x) => x > 0).length, of: d.length };
    }) : [];
    results.push({ starter: s.id, epochs, seeds, trainImages, valImages, rows, winner: ranked[0].label, margin: ranked.length > 1 ? ranked[0].finalVal - ranked[1].finalVal : 0, perSeed, overProbe });
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
  const pts = (x) => `${x >= 0 ? '+' : '−'}${Math.abs(100 * x).toFixed(1)}`;
  if (r.overProbe.length) console.log(`\nOver the linear probe: ${r.overProbe.map((o) => `${o.label} ${pts(o.mean)} points (${pts(o.min)} to ${pts(o.max)}; ahead on ${o.wins} of ${o.of} seeds)`).join(', ')}.`);
  console.log(`\nWinner: ${r.winner}, by ${(100 * r.margin).toFixed(1)} points over the runner-up (${Math.round(r.margin * r.valImages)} of ${r.valImages} validation images); per seed: ${r.perSeed.map((p) => `seed ${p.seed} ${p.winner} +${(100 * p.margin).toFixed(1)}`).join(', ')}.`);
}
mkdirSync(join(ROOT, 'bench'), { recursive: true });
const file = join(ROOT, `bench/compare-methods-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model }, threads, results }, null, 2) + '\n');
console.error(`wrote ${file}`);
