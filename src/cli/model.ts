// Reading a backbone for the CLI: `--model` names an .onnx file or a folder (a hub download: `model.onnx` or
// `onnx/model.onnx`, with `config.json` and `preprocessor_config.json` beside it or one level up). The bytes go
// through onnx/backbone.ts (opset upgrade, fp16 upcast, dequantization, input size, features) once; the model's
// metadata gives the source class names, normalisation and input size. The loaded backbone is then run against the
// file on a random batch (engine/load-check.ts) and the agreement joins the notes. A model with external data finds
// its data files beside it (external-files.ts: confined to the model's folder). Errors name the file.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { checkLoad } from '../engine/load-check.ts';
import { parseModelMeta, type ModelMeta } from '../engine/model-meta.ts';
import { loadBackbone, type BackboneLoadOptions, type InputSize } from '../onnx/backbone.ts';
import { externalNote, filesResolver } from '../onnx/external.ts';
import { runGraph } from '../runtime/ort-node.ts';
import { readExternalFiles } from './external-files.ts';
import { CliError, readFileOrFail } from './util.ts';

export interface CliBackbone {
  /** The canonical backbone the engine compiles. */
  bytes: Uint8Array;
  /** The file as it was read (its sha256 identifies the download). */
  original: Uint8Array;
  /** How many data files the file keeps its weights in (external data; read, checked, then let go: the loaded
   * backbone holds the weights). */
  dataFiles: number;
  path: string;
  meta: ModelMeta;
  notes: string[];
  inputSize: InputSize;
}

const MODEL_FILES = ['model.onnx', 'onnx/model.onnx'];

/** model.onnx (or onnx/model.onnx); else the folder's only .onnx file (model_fp16.onnx, model_quantized.onnx, …). */
function findModelFile(dir: string): string {
  for (const f of MODEL_FILES) if (existsSync(join(dir, f))) return join(dir, f);
  const onnx = [dir, join(dir, 'onnx')].filter((d) => existsSync(d) && statSync(d).isDirectory())
    .flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.onnx')).map((f) => join(d, f)));
  if (onnx.length === 1) return onnx[0];
  if (onnx.length > 1) throw new CliError(`--model ${dir}: the folder holds ${onnx.length} .onnx files (${onnx.map((f) => basename(f)).join(', ')}) and no model.onnx: name the file`);
  throw new CliError(`--model ${dir}: the folder holds no .onnx file`);
}

/** config.json / preprocessor_config.json beside the model file, or in the folder above an `onnx/` folder. */
function readMeta(file: string): ModelMeta {
  const dir = dirname(file);
  const dirs = basename(dir) === 'onnx' ? [dir, dirname(dir)] : [dir];
  const find = (name: string) => dirs.map((d) => join(d, name)).find((p) => existsSync(p));
  const cfg = find('config.json'), pre = find('preprocessor_config.json');
  try {
    return parseModelMeta({ config: cfg && readFileSync(cfg, 'utf8'), preprocessor: pre && readFileSync(pre, 'utf8') });
  } catch (e) {
    throw new CliError(`${dirname(cfg ?? pre ?? file)}/${(e as Error).message}`);
  }
}

export function parseInputSize(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 8 || n > 1024) throw new CliError(`--input-size must be an integer from 8 to 1024, got "${v}"`);
  return n;
}

/** Reads, loads and checks a backbone (the file and the loaded model agree on a random batch, else one line). */
export async function readBackbone(path: string, o: { inputSize?: string; keepOutputs?: boolean } = {}): Promise<CliBackbone> {
  let file = path;
  try { if (statSync(path).isDirectory()) file = findModelFile(path); } catch (e) { if (e instanceof CliError) throw e; }
  const original = readFileOrFail(file, '--model');
  const meta = readMeta(file);
  const opts: BackboneLoadOptions = { inputSize: parseInputSize(o.inputSize), preprocessorSize: meta.size, keepOutputs: o.keepOutputs };
  try {
    const external = readExternalFiles(file, original);
    const loaded = loadBackbone(original, { ...opts, external: external.length ? filesResolver(external) : undefined });
    const notes = [...meta.notes, ...loaded.notes];
    if (external.length) notes.push(externalNote(external));
    if (loaded.bytes !== original) notes.push((await checkLoad(original, loaded.bytes, loaded.tolerance, (m, feeds) => runGraph(m, feeds, { oneShot: true }), external)).note);
    return { bytes: loaded.bytes, original, dataFiles: external.length, path: file, meta, notes, inputSize: loaded.inputSize };
  } catch (e) {
    throw new CliError(`${file}: ${(e as Error).message.split('\n')[0]}`);
  }
}
