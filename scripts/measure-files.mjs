// What the measurement scripts (demo-table, demo-defaults, compare-methods) share: the bundled starters they measure
// (models/starters.json, an array written by models/make_metadata.py, optionally narrowed by --only) and the rows of
// an earlier bench/*.json that a partial re-measurement keeps.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '..');

/** The bundled starters, all of them or those whose id contains `only`. */
export function readStarters(only = '') {
  const all = JSON.parse(readFileSync(join(ROOT, 'models/starters.json'), 'utf8'));
  return all.filter((s) => !only || s.id.includes(only));
}

/** The rows of the earlier `file` that `keep(row, earlierFile)` accepts; none when there is no readable file. */
export function earlierRows(file, keep) {
  let prev;
  try { prev = JSON.parse(readFileSync(file, 'utf8')); } catch { return []; }
  return (prev.rows ?? []).filter((r) => keep(r, prev));
}
