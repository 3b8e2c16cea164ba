// `npm run fuzz -- --seconds N [--seed S] [--only NAME]`: fuzzes every reader of src/fuzz/targets.ts for N seconds
// in all (shared equally), with fresh mutations of valid files, and reports per reader how many inputs it tried,
// how many still read, how many were refused in one line of our own (and how many distinct refusals), the slowest
// input, the peak RSS and every finding (saved under tmp/fuzz-findings/ to become a regression test). Exit code 1
// when anything was found.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { attempt, inputsOf } from '../src/fuzz/harness.ts';
import { TARGETS } from '../src/fuzz/targets.ts';

const arg = (name: string) => { const i = process.argv.indexOf(`--${name}`); return i >= 0 ? process.argv[i + 1] : undefined; };
const seconds = Number(arg('seconds') ?? 60), seed0 = Number(arg('seed') ?? Date.now() % 2 ** 31), only = arg('only');
const targets = TARGETS.filter((t) => !only || t.name.includes(only));
const out = join(import.meta.dirname, '../tmp/fuzz-findings');

interface Row { reader: string; inputs: number; read: number; refused: number; distinctRefusals: number; findings: number; slowestMs: number; sample: string[] }
const rows: Row[] = [];
let peakRss = 0;
const t0 = Date.now();
process.stderr.write(`fuzzing ${targets.length} readers for ${seconds} s (seed ${seed0})\n`);
for (const [k, t] of targets.entries()) {
  const arb = await inputsOf(t);
  const until = t0 + (seconds * 1000 * (k + 1)) / targets.length;
  const row: Row = { reader: t.name, inputs: 0, read: 0, refused: 0, distinctRefusals: 0, findings: 0, slowestMs: 0, sample: [] };
  const refusals = new Map<string, number>();
  for (let batch = 0; Date.now() < until; batch++) {
    for (const bytes of fc.sample(arb, { seed: seed0 + 7919 * k + batch, numRuns: 100 })) {
      const r = await attempt(t, bytes);
      row.inputs++;
      row.slowestMs = Math.max(row.slowestMs, r.ms);
      if (r.kind === 'ok') row.read++;
      else if (r.kind === 'refused') { row.refused++; const key = r.message.replace(/\d+/g, '#'); refusals.set(key, (refusals.get(key) ?? 0) + 1); }
      else {
        row.findings++;
        mkdirSync(out, { recursive: true });
        const file = join(out, `${t.name.replace(/\W+/g, '-')}-${row.findings}.bin`);
        writeFileSync(file, bytes);
        process.stderr.write(`FINDING ${t.name}: ${r.message} → ${file}\n`);
      }
      if (Date.now() >= until) break;
    }
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }
  row.distinctRefusals = refusals.size;
  row.sample = [...refusals].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([m]) => m);
  rows.push(row);
  process.stderr.write(`${t.name}: ${row.inputs} inputs, ${row.findings} findings\n`);
}

const total = rows.reduce((a, r) => a + r.inputs, 0), findings = rows.reduce((a, r) => a + r.findings, 0);
console.log(`| reader | inputs | read | refused (one line) | distinct refusals | findings | slowest ms |`);
console.log(`|---|---:|---:|---:|---:|---:|---:|`);
for (const r of rows) console.log(`| ${r.reader} | ${r.inputs} | ${r.read} | ${r.refused} | ${r.distinctRefusals} | ${r.findings} | ${r.slowestMs.toFixed(0)} |`);
console.log(`\n${total} inputs in ${((Date.now() - t0) / 1000).toFixed(0)} s (seed ${seed0}), ${findings} findings, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MiB`);
for (const r of rows) console.log(`- ${r.reader}, most frequent refusals: ${r.sample.map((s) => `"${s.slice(0, 120)}"`).join('; ')}`);
process.exit(findings ? 1 : 0);
