// The offline install: `npm install` / `npm ci` reach nothing but the npm registry and print no warning. Every
// dependency with an install script is reviewed in package.json's `allowScripts` (npm ≥ 11.16 lists unreviewed ones
// after each install); onnxruntime-node's is denied — it downloads CUDA binaries from nuget.org, and the CPU binary
// ships in its tarball. No project .npmrc key npm does not know ("Unknown project config" on every npm/npx call).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const json = (f: string) => JSON.parse(readFileSync(join(ROOT, f), 'utf8')) as Record<string, unknown>;

describe('install policy', () => {
  const allow = json('package.json').allowScripts as Record<string, boolean>;
  const lock = json('package-lock.json').packages as Record<string, { hasInstallScript?: boolean; version?: string }>;
  const scripted = Object.entries(lock).filter(([, p]) => p.hasInstallScript).map(([path, p]) => ({ name: path.split('node_modules/').pop()!, version: p.version }));

  it('reviews every install script in the lockfile and denies onnxruntime-node\'s download', () => {
    expect(scripted.map((p) => p.name)).toContain('onnxruntime-node');
    for (const p of scripted) expect(allow[p.name] ?? allow[`${p.name}@${p.version}`], `${p.name}@${p.version} has an install script`).toBeTypeOf('boolean');
    expect(allow['onnxruntime-node']).toBe(false);
  });

  it('keeps no .npmrc key that npm warns about', () => {
    const rc = join(ROOT, '.npmrc');
    const keys = existsSync(rc) ? readFileSync(rc, 'utf8').split('\n').map((l) => l.trim()).filter((l) => l && !/^[#;]/.test(l)).map((l) => l.split('=')[0].trim()) : [];
    expect(keys.filter((k) => k.startsWith('onnxruntime'))).toEqual([]);
  });
});
