// Vite: the studio (React) plus its module worker. COOP/COEP headers make the page cross-origin isolated (wasm
// threads) in dev and preview alike; the `models/` folder (bundled starter backbones, starters.json,
// catalog.json) is served at /models/ in dev and copied into dist/models at build, so the app works offline.
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { createReadStream } from 'node:fs';
import { join, resolve } from 'node:path';
import react from '@vitejs/plugin-react';
import { defineConfig, type Plugin } from 'vite';

const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
const MODELS = resolve(import.meta.dirname, 'models');
const servable = (name: string) => /^[\w.-]+\.(onnx|json)$/.test(name);

/** /models/<file>.onnx|json from ./models (dev), and a copy into dist/models (build). */
function modelsPlugin(): Plugin {
  return {
    name: 'vp-models',
    configureServer(server) {
      server.middlewares.use('/models', (req, res, next) => {
        const name = decodeURIComponent((req.url ?? '/').split('?')[0].slice(1));
        const path = join(MODELS, name);
        if (!servable(name) || !existsSync(path)) return next();
        res.setHeader('Content-Type', name.endsWith('.json') ? 'application/json' : 'application/octet-stream');
        res.setHeader('Content-Length', String(statSync(path).size));
        for (const [k, v] of Object.entries(ISOLATION)) res.setHeader(k, v);
        createReadStream(path).pipe(res);
      });
    },
    writeBundle(opts) {
      const out = join(opts.dir ?? 'dist', 'models');
      if (!existsSync(MODELS)) return;
      mkdirSync(out, { recursive: true });
      for (const f of readdirSync(MODELS)) if (servable(f)) copyFileSync(join(MODELS, f), join(out, f));
    },
  };
}

export default defineConfig({
  plugins: [react(), modelsPlugin()],
  server: { headers: ISOLATION },
  preview: { headers: ISOLATION },
  worker: { format: 'es' },
  optimizeDeps: { exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
