// Serves the built studio (dist/) with `vite preview` on 127.0.0.1 (a secure context; COOP/COEP headers from
// vite.config.ts) for the browser tests, and checks that a Chromium is installed. startPreview() is also the
// browser benchmark's server (e2e/bench/browser-bench.ts).
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { preview } from 'vite';
import type { TestProject } from 'vitest/node';
import { chromiumPath } from './browser.ts';

declare module 'vitest' {
  export interface ProvidedContext { baseUrl: string }
}

export const ROOT = resolve(import.meta.dirname, '..');

/** Starts `vite preview` over dist/ (after checking dist/ and Chromium exist); `url` has no trailing slash. */
export async function startPreview(port = 4173): Promise<{ url: string; close(): Promise<void> }> {
  if (!existsSync(resolve(ROOT, 'dist/index.html'))) throw new Error('dist/ is missing: run `npm run build` first (npm run e2e does)');
  if (!existsSync(chromiumPath())) throw new Error(`no Chromium at ${chromiumPath()}: apt-get install -y chromium (or set CHROMIUM)`);
  const server = await preview({ root: ROOT, preview: { host: '127.0.0.1', port }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) { await server.close(); throw new Error('vite preview did not report its URL'); }
  return { url: url.replace(/\/$/, ''), close: () => server.close() };
}

export default async function setup(project: TestProject) {
  const server = await startPreview();
  project.provide('baseUrl', server.url);
  return server.close;
}
