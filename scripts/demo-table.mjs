#!/usr/bin/env node
// The teaching table of the README: every method × head on the demo task (public/demo/fashion, Fashion-MNIST)
// for each bundled starter backbone, trained with `vp-studio train`; prints a Markdown table and writes
// bench/demo-table.json. Run: npm run demo-table [-- --epochs 10 --only resnet --lrs 0.05,0.5]
import { parseArgs } from 'node:util';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, earlierRows, readStarters } from './measure-files.mjs';

// unknown or misspelt options are refused by name (parseArgs strict), not silently ignored
const { values: opts } = parseArgs({ options: { epochs: { type: 'string', default: '10' }, only: { type: 'string', default: '' }, lrs: { type: 'string', default: '0.05,0.5' } } });
const { epochs, only } = opts;
const every = readStarters(), list = readStarters(only);
const CONFIGS = [
  ['none', 'lp', []], ['lorvp', 'lp', ['--rank', '4']], ['pad', 'lp', ['--pad-width', '4']],
  ['vpt', 'lp', ['--tokens', '5']], ['vpt-deep', 'lp', ['--tokens', '5']],
  ['lorvp', 'flm', ['--rank', '4']], ['lorvp', 'ilm', ['--rank', '4']],
];
// each configuration is trained at every learning rate of its grid and the best final validation accuracy is kept
// (the papers search their learning rates the same way); the pad prompt lives in normalised-pixel units and gets a
// larger grid (its paper uses lr 40)
const lrs = opts.lrs.split(',').map(Number), padScale = 20;
const rows = [];
for (const s of list) {
  for (const [method, head, extra] of CONFIGS) {
    if (method.startsWith('vpt') && s.family !== 'vit') continue;
    const tries = [];
    for (const lr0 of lrs) {
      const lr = method === 'pad' ? lr0 * padScale : lr0;
      const out = join(ROOT, 'runs/demo', `${s.id}-${method}-${head}-lr${lr}`);
      const args = ['train', '--model', join(ROOT, s.file), '--data', join(ROOT, 'public/demo/fashion/train'), '--val', join(ROOT, 'public/demo/fashion/val'),
        '--out', out, '--method', method, '--head', head, '--epochs', epochs, '--batch-size', '64', '--lr', String(lr), '--no-augment',
        '--mean', s.mean.join(','), '--std', s.std.join(','), '--seed', '0', '--quiet', ...extra];
      const t0 = Date.now();
      const r = spawnSync(process.execPath, [join(ROOT, 'bin/vp-studio.mjs'), ...args], { encoding: 'utf8' });
      if (r.status !== 0) { console.error(`${s.id} ${method}+${head} lr ${lr}: ${r.stderr.trim().split('\n').pop()}`); continue; }
      const m = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
      tries.push({ lr, valAcc: m.final.val_acc, bestValAcc: m.final.best_val_acc, trainable: m.trainableParameters, seconds: (Date.now() - t0) / 1000, command: `npx vp-studio ${args.map((a) => a.replace(ROOT + '/', '')).join(' ')}` });
      console.error(`${s.id} ${method}+${head} lr ${lr}: val ${(m.final.val_acc * 100).toFixed(1)}%`);
    }
    if (!tries.length) continue;
    const best = tries.reduce((a, b) => (b.valAcc > a.valAcc ? b : a));
    rows.push({ backbone: s.id, method, head, ...best, tries: tries.map((t) => ({ lr: t.lr, valAcc: t.valAcc })) });
  }
}
mkdirSync(join(ROOT, 'bench'), { recursive: true });
// --only re-measures some starters: the other starters' rows already in the file (same epochs) are kept, in order
const file = join(ROOT, 'bench/demo-table.json');
const kept = only ? earlierRows(file, (r, prev) => prev.epochs === Number(epochs) && !list.some((s) => s.id === r.backbone)) : [];
const ids = every.map((s) => s.id);
const all = [...kept, ...rows].sort((a, b) => ids.indexOf(a.backbone) - ids.indexOf(b.backbone)); // stable: rows keep their order
writeFileSync(file, JSON.stringify({ epochs: Number(epochs), lrs, padScale, machine: `${process.platform} ${process.arch}, node ${process.version}`, rows: all }, null, 2) + '\n');
console.log('| backbone | method | head | trainable params | lr | final val acc | best-epoch val acc | time (s) |\n|---|---|---|---:|---:|---:|---:|---:|');
for (const r of all) console.log(`| ${r.backbone} | ${r.method} | ${r.head} | ${r.trainable.toLocaleString('en')} | ${r.lr} | ${(r.valAcc * 100).toFixed(1)}% | ${(r.bestValAcc * 100).toFixed(1)}% | ${r.seconds.toFixed(0)} |`);
