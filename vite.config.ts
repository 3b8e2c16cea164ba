// Vite: the studio (React) plus its module worker. COOP/COEP headers make the page cross-origin isolated (wasm
// threads) in dev and preview alike; the `models/` folder (bundled starter backbones, starters.json,
// catalog.json) is served at /models/ in dev and copied into dist/models at build, and each demo dataset under
// public/demo/ also gets a pack.bin of all its images (one request instead of thousands), so the app works offline.
import { copyFileSync, createReadStream, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
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

/** Every image path a dataset index.json mentions (relative to public/). */
function indexPaths(index: unknown): string[] {
  const out: string[] = [];
  const visit = (v: unknown): void => {
    if (typeof v === 'string') { if (/\.(png|jpe?g|webp|bmp|gif)$/i.test(v)) out.push(v); }
    else if (Array.isArray(v)) v.forEach(visit);
    else if (v && typeof v === 'object') Object.values(v).forEach(visit);
  };
  visit(index);
  return [...new Set(out)];
}

/** The images of public/demo/<name>/index.json in one file, so a first visit loads the demo with one request:
 * u32 LE header length, JSON [{path, length}], then the files' bytes in that order. */
function packDemo(dir: string): Buffer | undefined {
  const indexFile = join(dir, 'index.json');
  if (!existsSync(indexFile)) return undefined;
  const pub = resolve(import.meta.dirname, 'public');
  const paths = indexPaths(JSON.parse(readFileSync(indexFile, 'utf8')));
  const files = paths.map((p) => readFileSync(p.startsWith('demo/') ? join(pub, p) : join(dir, p)));
  const header = Buffer.from(JSON.stringify(paths.map((path, i) => ({ path, length: files[i].length }))));
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length);
  return Buffer.concat([len, header, ...files]);
}

function demoPackPlugin(): Plugin {
  const demoRoot = resolve(import.meta.dirname, 'public/demo');
  const names = () => (existsSync(demoRoot) ? readdirSync(demoRoot).filter((n) => existsSync(join(demoRoot, n, 'index.json'))) : []);
  return {
    name: 'vp-demo-pack',
    configureServer(server) {
      server.middlewares.use('/demo', (req, res, next) => {
        const m = /^\/([\w.-]+)\/pack\.bin$/.exec((req.url ?? '').split('?')[0]);
        const pack = m && names().includes(m[1]) ? packDemo(join(demoRoot, m[1])) : undefined;
        if (!pack) return next();
        res.setHeader('Content-Type', 'application/octet-stream');
        for (const [k, v] of Object.entries(ISOLATION)) res.setHeader(k, v);
        res.end(pack);
      });
    },
    writeBundle(opts) {
      for (const n of names()) {
        const pack = packDemo(join(demoRoot, n));
        if (!pack) continue;
        mkdirSync(join(opts.dir ?? 'dist', 'demo', n), { recursive: true });
        writeFileSync(join(opts.dir ?? 'dist', 'demo', n, 'pack.bin'), pack);
      }
    },
  };
}

export default defineConfig({
  plugins: [react(), modelsPlugin(), demoPackPlugin()],
  server: { headers: ISOLATION },
  preview: { headers: ISOLATION },
  worker: { format: 'es' },
  // The dependency scan starts from index.html and does not follow `new Worker(new URL(...))`: name the worker as
  // an entry too, so protobufjs & co. are pre-bundled before the first page load (otherwise Vite finds them late
  // and reloads the page ~4 s after it appears, replacing what a newcomer dropped).
  optimizeDeps: { entries: ['index.html', 'src/worker/worker.ts'], exclude: ['onnxruntime-web'] },
  build: { target: 'es2022', chunkSizeWarningLimit: 4096 },
});
