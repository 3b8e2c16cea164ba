// Rebuilds dist/ (vite build) when it is older than the studio's sources: shared by the browser benchmarks, which
// serve the built studio as the e2e suite does.
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'vite';
import { ROOT } from '../global-setup.ts';

/** Newest modification time under the paths the studio bundle is built from. */
function newestSource(paths: string[]): number {
  let newest = 0;
  const visit = (p: string): void => {
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) return;
    if (st.isDirectory()) for (const e of readdirSync(p)) visit(join(p, e));
    else newest = Math.max(newest, st.mtimeMs);
  };
  paths.forEach((p) => visit(resolve(ROOT, p)));
  return newest;
}

/** `outDir` relative to the root: a benchmark may build its own copy, so that it never rewrites dist/ under an e2e
 * run served from it. */
export async function buildIfStale(outDir = 'dist'): Promise<void> {
  const built = statSync(resolve(ROOT, outDir, 'index.html'), { throwIfNoEntry: false })?.mtimeMs ?? 0;
  if (built >= newestSource(['src', 'public', 'models', 'index.html', 'vite.config.ts', 'package.json', 'package-lock.json'])) return;
  console.log(`${outDir}/ is older than its sources: vite build`);
  await build({ root: ROOT, logLevel: 'warn', build: { outDir, emptyOutDir: true } });
}
