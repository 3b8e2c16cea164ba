// `vp-studio eval` and `vp-studio predict`. eval --run scores a trained run (backbone + prompt + head through the
// engine) on an image folder; eval --model scores a plain classifier on its own head (class folders in sorted
// order = output indices). predict --run classifies images with the run's deployable model.onnx.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ImageLoader } from '../data/decode-node.ts';
import { loadImageFolder } from '../data/folder-node.ts';
import { Builder } from '../onnx/builder.ts';
import { decodeModel } from '../onnx/codec.ts';
import { prepareGraph } from '../onnx/load.ts';
import { encodeForSession } from '../onnx/session-model.ts';
import { toposort } from '../onnx/passes/toposort.ts';
import { backboneInfo, compileEval, describeBackbone } from '../engine/compile.ts';
import type { TrainConfig } from '../engine/config.ts';
import { mappingMatrix } from '../engine/mapping.ts';
import { runEval, scoreLogits } from '../engine/trainer.ts';
import type { Handle } from '../engine/executor.ts';
import { NodeExecutor } from '../runtime/node-executor.ts';
import { openExecutor } from './ep.ts';
import { folderSource } from './dataset.ts';
import { lazyProgress } from './progress.ts';
import { readTensors, sha256, type Manifest } from './run-files.ts';
import { readBackbone } from './model.ts';
import { readExternalFiles } from './external-files.ts';
import { filesResolver, type ExternalFile } from '../onnx/external.ts';
import { CliError, readFileOrFail } from './util.ts';
import { readManifestJson } from '../io/schemas/manifest.ts';
import { readCatalogJson } from '../io/schemas/catalog.ts';

const EVAL_BATCH = 32;

export function readManifest(runDir: string): Manifest {
  const p = join(runDir, 'manifest.json');
  if (!existsSync(p)) throw new CliError(`--run ${runDir}: no manifest.json (not a vp-studio run directory)`);
  return readManifestJson(readFileSync(p), p);
}

/** The backbone of a run: --model if given, else the path recorded in the manifest; its sha256 must match. */
async function runBackbone(runDir: string, m: Manifest, model?: string): Promise<Uint8Array> {
  const path = model ?? (m.backbone as Manifest['backbone'] & { path?: string }).path;
  if (!path || !existsSync(path)) throw new CliError(`--run ${runDir}: backbone ${path ?? m.backbone.file} not found; pass it with --model`);
  const b = await readBackbone(path, { inputSize: String(m.preprocessing.inputSize) });
  if (sha256(b.original) !== m.backbone.sha256) throw new CliError(`--model ${path} is not the backbone this run was trained on (sha256 differs)`);
  return b.bytes;
}

/** Normalisation of a plain classifier: a starter's recorded statistics when the file is one, else ImageNet's. */
function plainNormalisation(bytes: Uint8Array, modelPath: string): { mean: number[]; std: number[] } {
  const digest = sha256(bytes);
  for (const dir of [dirname(resolve(modelPath)), join(import.meta.dirname, '../../models')]) {
    const p = join(dir, 'starters.json');
    if (!existsSync(p)) continue;
    type Entry = { sha256?: string; mean?: number[]; std?: number[] };
    // a starters.json beside a model from elsewhere is read like the catalogue: bounded and checked
    const raw = readCatalogJson(readFileSync(p), p) as Entry[] | Record<string, Entry> | { starters: Entry[] };
    const list: Entry[] = Array.isArray(raw) ? raw : 'starters' in raw && Array.isArray(raw.starters) ? raw.starters : Object.values(raw as Record<string, Entry>);
    const hit = list.find((e) => e && typeof e === 'object' && e.sha256 === digest);
    if (hit?.mean && hit.std) return { mean: hit.mean, std: hit.std };
  }
  return { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225] };
}

/** images [B,3,L,L] in [0,1] → normalise → backbone → its own logits. */
function plainEvalGraph(bytes: Uint8Array, batch: number, mean: number[], std: number[]) {
  const g = prepareGraph(decodeModel(bytes), { batch });
  const x = g.inputs[0];
  const b = new Builder(g, 'vp/');
  const images = g.value(g.freshName('images'));
  images.dtype = 'float32'; images.shape = [...x.dims];
  const norm = b.div(b.sub(images, b.constF(mean, [1, 3, 1, 1])), b.constF(std, [1, 3, 1, 1]));
  g.replaceAllUses(x, norm);
  g.inputs = [images];
  toposort(g);
  return { g, images: images.name, logits: g.outputs[0].name };
}

export async function evalCommand(o: { run?: string; model?: string; data: string; mean?: string; std?: string; inputSize?: string; ep?: string; verbose?: boolean }): Promise<void> {
  if (!o.run && !o.model) throw new CliError('eval needs --run RUN_DIR or --model MODEL.onnx');
  const ex = await openExecutor(o.ep, 0, o.verbose);
  const loader = new ImageLoader();
  let result: Record<string, unknown>;
  if (o.run) {
    const m = readManifest(o.run);
    const bytes = await runBackbone(o.run, m, o.model);
    const L = m.preprocessing.inputSize;
    const scan = lazyProgress('checking images');
    const folder = await loadImageFolder(o.data, { loader, size: L, onProgress: (d, t) => scan.update(d, undefined, t) });
    scan.stop();
    if (folder.classes.join('\u0000') !== m.classes.join('\u0000')) throw new CliError(`--data ${o.data} has classes [${folder.classes.join(', ')}] but the run was trained on [${m.classes.join(', ')}]`);
    const tensors = readTensors(join(o.run, 'prompt.safetensors'));
    const { mapping, ...params } = tensors;
    const cfg: TrainConfig = m.settings;
    const fixed = backboneInfo(bytes).fixedBatch;
    const ev = compileEval(bytes, cfg, m.classes.length, fixed ?? EVAL_BATCH, params);
    const s = await ex.createSession(encodeForSession(ev.graph));
    const feeds: Record<string, Handle> = {};
    for (const k of ev.io.params) feeds[k] = ex.upload(params[k]);
    if (ev.io.mapping) {
      if (!mapping) throw new CliError(`--run ${o.run}: prompt.safetensors has no 'mapping' tensor for head ${cfg.head}`);
      const S = ev.graph.inputs.find((v) => v.name === 'mapping')!.dims[0];
      feeds.mapping = ex.upload({ dtype: 'float32', shape: [S, m.classes.length], data: mappingMatrix(mapping.data as Int32Array, S) });
    }
    const src = folderSource(folder, folder.items.map((_, i) => i), L, loader);
    const r = await runEval(ex, s, ev, src, L, feeds, m.classes.length);
    await s.release();
    const sc = scoreLogits(r.logits, src.labels, m.classes.length);
    result = report(m.classes, sc, folder.skipped, folder.items.map((it) => it.path));
  } else {
    const bb = await readBackbone(o.model!, { inputSize: o.inputSize });
    const bytes = bb.bytes;
    const { info } = describeBackbone(bytes);
    if (info.featureSource) throw new CliError(`--model ${o.model}: a feature extractor has no classifier of its own to evaluate; train a head with vp-studio train`);
    const norm = bb.meta.mean && bb.meta.std ? { mean: bb.meta.mean, std: bb.meta.std } : plainNormalisation(bb.original, o.model!);
    const mean = o.mean ? o.mean.split(',').map(Number) : norm.mean, std = o.std ? o.std.split(',').map(Number) : norm.std;
    const folder = await loadImageFolder(o.data, { loader, size: info.inputSize, validate: false });
    if (info.numSourceClasses !== undefined && folder.classes.length > info.numSourceClasses) throw new CliError(`--data ${o.data} has ${folder.classes.length} classes but the model outputs ${info.numSourceClasses}`);
    const B = info.fixedBatch ?? EVAL_BATCH;
    const pg = plainEvalGraph(bytes, B, mean, std);
    const s = await ex.createSession(encodeForSession(pg.g));
    const src = folderSource(folder, folder.items.map((_, i) => i), info.inputSize, loader);
    const C = info.numSourceClasses!;
    const ev = { batch: B, graph: pg.g, io: { images: pg.images, logits: pg.logits, params: [], states: [], newParams: {}, newStates: {} } };
    const bar = lazyProgress('evaluating');
    const r = await runEval(ex, s, ev, { ...src, load: async (idx, aug, rng, out) => { await src.load(idx, aug, rng, out); bar.update(idx[idx.length - 1] + 1, undefined, src.size); } }, info.inputSize, {}, C);
    bar.stop();
    await s.release();
    result = report(folder.classes, scoreLogits(r.logits, src.labels, C), folder.skipped, folder.items.map((it) => it.path), { mean, std });
  }
  console.log(JSON.stringify(result, null, 2));
}

function report(classes: string[], sc: ReturnType<typeof scoreLogits>, skipped: unknown[], paths: string[], extra: Record<string, unknown> = {}) {
  return {
    accuracy: sc.accuracy, loss: sc.loss, images: sc.predictions.length, classes,
    perClass: Object.fromEntries(classes.map((c, i) => [c, sc.perClass[i]])),
    confusion: sc.confusion.map((row) => row.slice(0, classes.length)),
    skipped, ...extra, misclassified: paths.flatMap((p, i) => (sc.predictions[i] !== sc.labels[i] ? [{ image: p, label: classes[sc.labels[i]], predicted: classes[sc.predictions[i]] }] : [])).slice(0, 200),
  };
}

export async function predictCommand(runDir: string, images: string[], o: { top: string }): Promise<void> {
  const m = readManifest(runDir);
  const modelPath = join(runDir, 'model.onnx');
  const bytes = readFileOrFail(modelPath, 'model');
  let external: ExternalFile[];
  try { external = readExternalFiles(modelPath, bytes); } catch (e) { throw new CliError(`${modelPath}: ${(e as Error).message}`); }
  const g = decodeModel(bytes, { external: filesResolver(external) });
  const B = typeof g.inputs[0].shape?.[0] === 'number' ? (g.inputs[0].shape[0] as number) : 1;
  const L = m.preprocessing.inputSize, k = Math.min(Number(o.top) || 3, m.classes.length);
  const ex = new NodeExecutor();
  const s = await ex.createSession(external.length ? { model: bytes, externalData: external } : bytes);
  const loader = new ImageLoader({ cacheBytes: 0 });
  const out: unknown[] = [];
  for (const path of images) {
    let img;
    try { img = await loader.load(path, L); } catch (e) { out.push({ image: path, error: (e as Error).message.split('\n')[0] }); continue; }
    const x = new Float32Array(B * 3 * L * L);
    x.set(img.data);
    const r = await s.run({ [g.inputs[0].name]: ex.upload({ dtype: 'float32', shape: [B, 3, L, L], data: x }) });
    const lg = Array.from((await ex.download(r[g.outputs[0].name])).data as Float32Array).slice(0, m.classes.length);
    const mx = Math.max(...lg), e = lg.map((v) => Math.exp(v - mx)), z = e.reduce((a, b) => a + b, 0);
    const top = e.map((v, i) => ({ class: m.classes[i], probability: v / z })).sort((a, b) => b.probability - a.probability).slice(0, k);
    out.push({ image: path, top });
  }
  await s.release();
  console.log(JSON.stringify(out, null, 2));
}
