// The data files of a model with external data, in the studio: which of the files dropped with a `model.onnx` it
// names (onnx/peek.ts reads the locations from the protobuf wire: no decode on the main thread), each read only
// when named, and one clear line naming whatever is missing; and the catalogue's `dataFiles`, downloaded beside
// the model. The worker then checks every location and slice (onnx/external.ts).
import { normalizeLocation, type ExternalFile } from '../onnx/external.ts';
import { externalLocations } from '../onnx/peek.ts';
import type { DataFileEntry } from './catalog.ts';
import { download, type DownloadOptions, type DownloadProgress } from './download.ts';

/** A dropped file: its bytes, or how to read them (files other than the model are read only when it names them). */
export interface DroppedFile { name: string; bytes?: Uint8Array; read?: () => Promise<Uint8Array> }

/** The locations a model's tensors name (none for a self-contained model, or bytes that are no model: the worker
 * says what is wrong with those). */
function locationsOf(model: Uint8Array): string[] {
  try {
    return externalLocations(model).map((l) => l.location);
  } catch {
    return [];
  }
}

function missingMessage(model: string, missing: string[]): string {
  if (missing.length === 1) return `${model} keeps its weights in ${missing[0]}, which was not dropped with it: drop ${model} together with ${missing[0]}`;
  const some = missing.slice(0, 3).join(', ') + (missing.length > 3 ? ', …' : '');
  return `${model} keeps its weights in ${missing.length} data files that were not dropped with it (${some}): drop them together with ${model}`;
}

/** The data files `model` names, from the files dropped with it (matched by the location, else its file name). */
export async function droppedDataFiles(modelName: string, model: Uint8Array, files: readonly DroppedFile[]): Promise<ExternalFile[]> {
  const locations = locationsOf(model);
  if (!locations.length) return [];
  const byName = new Map(files.map((f) => [f.name, f]));
  const found: ExternalFile[] = [], missing: string[] = [];
  for (const location of locations) {
    const key = normalizeLocation(location);
    const f = byName.get(key) ?? byName.get(key.split('/').pop() ?? key);
    if (!f?.bytes && !f?.read) missing.push(location);
    else found.push({ path: location, data: f.bytes ?? await f.read!() });
  }
  if (missing.length) throw new Error(missingMessage(modelName, missing));
  return found;
}

/** Downloads a catalogue entry's data files one after the other, with the progress of all of them together (the
 * model's own bytes already received count in `before`). */
export async function downloadDataFiles(files: readonly DataFileEntry[], o: Pick<DownloadOptions, 'fetch' | 'onProgress'> & { before?: number; total?: number }): Promise<ExternalFile[]> {
  const out: ExternalFile[] = [];
  let done = o.before ?? 0;
  for (const f of files) {
    const onProgress = o.onProgress && ((p: DownloadProgress) => o.onProgress!({ ...p, received: done + p.received, total: o.total, eta: o.total ? Math.max(0, (o.total - done - p.received) / p.rate) : undefined }));
    let bytes: Uint8Array;
    try {
      bytes = (await download([f.url], { fetch: o.fetch, sha256: f.sha256, sizeBytes: f.sizeBytes, onProgress })).bytes;
    } catch (e) {
      throw new Error(`data file ${f.path}: ${e instanceof Error ? e.message : String(e)}`);
    }
    done += bytes.length;
    out.push({ path: f.path, data: bytes });
  }
  return out;
}
