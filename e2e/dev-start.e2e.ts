// `npm start` on a cold Vite cache (a newcomer's first start): the page must not reload by itself once it is up
// (Vite's "optimized dependencies changed. reloading" used to replace a dropped folder and the settings with the
// demo ~4 s after the page appeared, when the worker's dependencies were discovered late).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLogger, createServer } from 'vite';
import { afterAll, describe, expect, it } from 'vitest';
import { launch } from './browser.ts';
import { ROOT } from './global-setup.ts';

describe('npm start on a cold cache', () => {
  const logs: string[] = [];
  const logger = createLogger('info');
  for (const level of ['info', 'warn', 'error'] as const) {
    const orig = logger[level].bind(logger);
    logger[level] = (msg, opts) => { logs.push(msg); orig(msg, opts); };
  }
  let close: (() => Promise<void>) | undefined;
  afterAll(async () => { await close?.(); });

  it('serves the studio, which trains-ready without reloading itself', async () => {
    const server = await createServer({ root: ROOT, configFile: join(ROOT, 'vite.config.ts'), cacheDir: mkdtempSync(join(tmpdir(), 'vp-vite-cold-')), server: { host: '127.0.0.1', port: 5179, strictPort: true }, customLogger: logger });
    await server.listen();
    close = () => server.close();
    const browser = await launch();
    try {
      const page = await browser.newPage();
      let navigations = 0;
      page.on('framenavigated', (f) => { if (f === page.mainFrame()) navigations++; });
      await page.goto('http://127.0.0.1:5179/');
      await page.waitForSelector('[data-testid=backbone-info]', { timeout: 240_000 });
      await page.waitForSelector('[data-testid=data-summary]', { timeout: 240_000 });
      await page.waitForTimeout(8000);
      expect(logs.filter((l) => /optimized dependencies changed|reloading/i.test(l))).toEqual([]);
      expect(navigations).toBe(1);
    } finally {
      await browser.close();
    }
  }, 400_000);
});
