// Vitest configuration of the browser tests (`npm run e2e`): e2e/*.e2e.ts drive the built app (dist/, served by
// `vite preview` with the COOP/COEP headers in global-setup.ts) in Debian's Chromium through playwright-core.
import { resolve } from 'node:path';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: resolve(import.meta.dirname, '..'),
  test: {
    include: ['e2e/**/*.e2e.ts'],
    globalSetup: ['e2e/global-setup.ts'],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    fileParallelism: false,
    pool: 'forks',
  },
});
