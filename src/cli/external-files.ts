// The data files of an external-data model on disk (`model.onnx` + `model.onnx_data`, or one file per tensor):
// each location the model names (onnx/peek.ts externalLocations) is checked as onnx/external.ts confines it
// (relative, no '..', no backslash or colon), then resolved under the model's folder and realpath-checked so that a
// symlink cannot leave the folder, and read whole (by chunks: a hub's data file can pass Node's 2 GiB readFile
// limit). Errors are one line naming the tensor and the location; the caller prefixes the model file. Also writes
// a model with its data files (a deployable model over 2 GiB: model.onnx + model.onnx_data).
import { closeSync, openSync, readSync, realpathSync, statSync, writeSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { isSplit, locationProblem, modelBytes, normalizeLocation, type ExternalFile, type SessionModel } from '../onnx/external.ts';
import { externalLocations } from '../onnx/peek.ts';

const CHUNK = 1 << 30;

function readWhole(path: string, size: number): Uint8Array {
  const out = Buffer.allocUnsafe(size);
  const fd = openSync(path, 'r');
  try {
    for (let at = 0; at < size;) {
      const n = readSync(fd, out, at, Math.min(CHUNK, size - at), at);
      if (n === 0) throw new Error(`the file ended at byte ${at} of ${size}`);
      at += n;
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** Writes bytes by chunks (one write of more than 2 GiB fails in Node). */
function writeWhole(path: string, bytes: Uint8Array): void {
  const fd = openSync(path, 'w');
  try {
    for (let at = 0; at < bytes.length;) at += writeSync(fd, bytes, at, Math.min(CHUNK, bytes.length - at));
  } finally {
    closeSync(fd);
  }
}

/** Writes `modelFile` and, for a split model, its data files beside it. */
export function writeModelFiles(modelFile: string, m: SessionModel): void {
  writeWhole(modelFile, modelBytes(m));
  if (isSplit(m)) for (const f of m.externalData) writeWhole(join(dirname(modelFile), f.path), f.data);
}

/** Every data file the model at `modelFile` names, read from its folder (none for a self-contained model). */
export function readExternalFiles(modelFile: string, bytes: Uint8Array): ExternalFile[] {
  const refs = externalLocations(bytes);
  if (!refs.length) return [];
  const dir = realpathSync(dirname(modelFile));
  const files = new Map<string, ExternalFile>();
  for (const { location, tensor } of refs) {
    const at = `tensor '${tensor}' (external data '${location}')`;
    const bad = locationProblem(location);
    if (bad) throw new Error(`${at}: the location must be a file inside the model's folder, but ${bad}`);
    const key = normalizeLocation(location);
    if (files.has(key)) continue;
    let real: string;
    try {
      real = realpathSync(join(dir, key));
    } catch {
      throw new Error(`${at}: the data file '${location}' is missing (it must be beside the model)`);
    }
    if (!real.startsWith(dir + sep)) throw new Error(`${at}: the data file is a link to ${real}, outside the model's folder`);
    const st = statSync(real);
    if (!st.isFile()) throw new Error(`${at}: '${location}' is not a file`);
    try {
      files.set(key, { path: location, data: readWhole(real, st.size) });
    } catch (e) {
      throw new Error(`${at}: cannot read it (${(e as Error).message.split('\n')[0]})`);
    }
  }
  return [...files.values()];
}
