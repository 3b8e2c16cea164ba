// Serves the built studio (dist/) with `vite preview` on 127.0.0.1 (a secure context; COOP/COEP headers from
// vite.config.ts) for the browser tests, and checks that a Chromium is installed.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { preview } from 'vite';
import type { TestProject } from 'vitest/node';
import { chromiumPath } from './browser.ts';

declare module 'vitest' {
  export interface ProvidedContext { baseUrl: string }
}

export default async function setup(project: TestProject) {
  const root = resolve(import.meta.dirname, '..');
  if (!existsSync(resolve(root, 'dist/index.html'))) throw new Error('dist/ is missing: run `npm run build` first (npm run e2e does)');
  if (!existsSync(chromiumPath())) throw new Error(`no Chromium at ${chromiumPath()}: apt-get install -y chromium (or set CHROMIUM)`);
  const server = await preview({ root, preview: { host: '127.0.0.1', port: 4173 }, logLevel: 'warn' });
  const url = server.resolvedUrls?.local[0];
  if (!url) throw new Error('vite preview did not report its URL');
  project.provide('baseUrl', url.replace(/\/$/, ''));
  return async () => { await server.close(); };
}
