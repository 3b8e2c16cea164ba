// Serves the built studio (dist/) with `vite preview` on 127.0.0.1 (a secure context; COOP/COEP headers from
// vite.config.ts) for the browser tests, and checks that a Chromium is installed. startPreview() is also the
// browser benchmark's server (e2e/bench/browser-bench.ts).
import { createReadStream, existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { preview } from 'vite';
import type { TestProject } from 'vitest/node';
import { chromiumPath } from './browser.ts';

declare module 'vitest' {
  export interface ProvidedContext { baseUrl: string }
}

export const ROOT = resolve(import.meta.dirname, '..');

/** Starts `vite preview` over dist/ (or `outDir`, relative to the root) (after checking dist/ and Chromium exist); `url` has no trailing slash.
 * `files` maps URL paths to files on disk, streamed as they are (the benchmark's backbones: hundreds of MiB, too
 * big for playwright's route.fulfill, which crashed the page with ViT-B/16). */
export async function startPreview(port = 4173, files: Record<string, string> = {}, outDir = 'dist'): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(resolve(ROOT, outDir, 'index.html'))) throw new Error(`${outDir}/ is missing: run \`npm run build\` first (npm run e2e does)`);
  if (!existsSync(chromiumPath())) throw new Error(`no Chromium at ${chromiumPath()}: apt-get install -y chromium (or set CHROMIUM)`);
  const serveFiles = {
    name: 'vp-bench-files',
    configurePreviewServer(s: { middlewares: { use(f: (req: { url?: string }, res: import('node:http').ServerResponse, next: () => void) => void): void } }) {
      s.middlewares.use((req, res, next) => {
        const file = req.url ? files[req.url] : undefined;
        if (!file) return next();
        res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': statSync(file).size, 'Cross-Origin-Resource-Policy': 'same-origin' });
        createReadStream(file).pipe(res);
      });
    },
  };
  const server = await preview({ root: ROOT, preview: { host: '127.0.0.1', port }, build: { outDir }, logLevel: 'warn', plugins: [serveFiles] });
  const url = server.resolvedUrls?.local[0];
  if (!url) { await server.close(); throw new Error('vite preview did not report its URL'); }
  return { url: url.replace(/\/$/, ''), close: () => server.close() };
}

export default async function setup(project: TestProject) {
  const server = await startPreview();
  project.provide('baseUrl', server.url);
  return server.close;
}
