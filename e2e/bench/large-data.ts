// Large datasets in the studio (`npm run bench:data -- [--images 3000,20000] [--epochs 1]`): writes N photos
// (500×375 JPEGs of 10 classes, cached under /tmp/vp-large-<N>), serves the built studio, loads a 224×224 backbone
// (the optimum ResNet stand-in of tests/fixtures/hub, with its preprocessor_config.json) and the folder through the
// folder picker, and measures how long loading takes (every image is decoded once to check it) and the peak
// resident memory of Chromium's renderer (page + training worker + onnxruntime's wasm heap) while loading and
// while training an epoch. The worker decodes per batch with a byte-budgeted cache (512 MiB), never all images.
// Prints a table and writes bench/data-<timestamp>.json.
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import sharp from 'sharp';
import { launch, openStudio, setField } from '../browser.ts';
import { ROOT, startPreview } from '../global-setup.ts';
import { readPeaks, resetPeaks } from './process-memory.ts';

const { values } = parseArgs({ options: { images: { type: 'string', default: '3000,20000' }, epochs: { type: 'string', default: '1' } } });
const SIZES = values.images.split(',').map(Number);
const HUB = join(ROOT, 'tests/fixtures/hub/optimum-resnet');

/** N photos-like JPEGs: per class a colour and a shape position, plus noise. */
async function makeFolder(n: number): Promise<string> {
  const dir = `/tmp/vp-large-${n}`;
  if (existsSync(dir) && readdirSync(dir).length === 10 && readdirSync(join(dir, 'c9')).length === Math.ceil(n / 10)) return dir;
  const W = 500, H = 375;
  for (let c = 0; c < 10; c++) {
    mkdirSync(join(dir, `c${c}`), { recursive: true });
    for (let i = 0; i < Math.ceil(n / 10); i++) {
      const px = Buffer.alloc(W * H * 3);
      let s = (c * 7919 + i * 104729) >>> 0;
      for (let k = 0; k < px.length; k++) { s = (s * 1664525 + 1013904223) >>> 0; px[k] = (s >>> 24) & 0x7f; }
      const x0 = 40 * c, y0 = 30 * (c % 5);
      for (let y = y0; y < y0 + 120; y++) for (let x = x0; x < x0 + 120; x++) { const o = (y * W + x) * 3; px[o] = 255; px[o + 1] = 25 * c; px[o + 2] = 255 - 25 * c; }
      writeFileSync(join(dir, `c${c}`, `${String(i).padStart(5, '0')}.jpg`), await sharp(px, { raw: { width: W, height: H, channels: 3 } }).jpeg({ quality: 85 }).toBuffer());
    }
  }
  return dir;
}

interface Row { images: number; loadSeconds: number; loadPeakMiB: number | undefined; trainSeconds: number; trainPeakMiB: number | undefined; steps: number; valAcc: number | null }

const server = await startPreview(4176);
const browser = await launch();
const rows: Row[] = [];
try {
  for (const n of SIZES) {
    const dir = await makeFolder(n);
    const s = await openStudio(browser, server.url, 'backend=wasm&preload=0', { width: 1280, height: 900 });
    const { page } = s;
    await page.setInputFiles('[data-testid=model-input]', ['model.onnx', 'config.json', 'preprocessor_config.json'].map((f) => join(HUB, f)));
    await page.waitForSelector('[data-testid=backbone-info]');
    resetPeaks();
    const t0 = Date.now();
    await page.setInputFiles('[data-testid=dataset-input]', dir);
    await page.waitForSelector('[data-testid=data-summary]', { timeout: 3_600_000 });
    const loadSeconds = (Date.now() - t0) / 1000, load = readPeaks();
    await page.fill('[data-testid=epochs-input]', values.epochs);
    await setField(page, 'batch size', 32);
    await setField(page, 'learning rate', 0.001);
    resetPeaks();
    const t1 = Date.now();
    await page.click('[data-testid=train-start]');
    await page.waitForFunction(() => ['done', 'diverged', 'error', 'stopped'].includes(document.querySelector('[data-testid=run-status]')?.textContent ?? ''), null, { timeout: 3_600_000 });
    const trainSeconds = (Date.now() - t1) / 1000, train = readPeaks();
    const st = await page.evaluate(() => (window as unknown as { __studio: { store: { getState(): { run: { steps: { step: number }[]; epochs: { val_acc: number | null }[] } } } } }).__studio.store.getState().run);
    const row: Row = { images: n, loadSeconds, loadPeakMiB: load.rendererPeakMb, trainSeconds, trainPeakMiB: train.rendererPeakMb, steps: (st.steps.at(-1)?.step ?? -1) + 1, valAcc: st.epochs.at(-1)?.val_acc ?? null };
    rows.push(row);
    console.log(`${n} images: loaded in ${loadSeconds.toFixed(0)} s (renderer peak ${row.loadPeakMiB} MiB); ${row.steps} steps in ${trainSeconds.toFixed(0)} s (renderer peak ${row.trainPeakMiB} MiB)`);
    await s.context.close();
  }
} finally {
  await browser.close();
  await server.close();
}
console.table(rows);
const file = join(ROOT, 'bench', `data-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, JSON.stringify({ machine: { cores: cpus().length, cpu: cpus()[0]?.model }, backbone: 'tests/fixtures/hub/optimum-resnet (224×224)', rows }, null, 2) + '\n');
console.log(`wrote ${file}`);
