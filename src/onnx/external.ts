// ONNX external data (TensorProto data_location = EXTERNAL): a tensor's bytes in a file beside the model, named by
// the `location`, `offset` and `length` key/values (`checksum` ignored). Owns the confinement of a location (a
// relative path inside the model's folder: no '..' segment, no absolute path, no backslash, drive letter or colon)
// and the bounds of a slice (offset + length inside the file, length = numel × element size), checked before
// anything is allocated; and the in-memory files that carry data beside a model to onnxruntime (its `externalData`
// session option). Also owns the data this process keeps in memory for graphs too large for one protobuf (a loaded
// ViT-H backbone): registered under unguessable `vp-memory:` locations for as long as the model bytes live, read
// back by the codec and handed to onnxruntime by every executor. Browser-safe: reading data files from a folder
// (with the realpath check) is src/cli/external-files.ts.
import { externalLocations } from './peek.ts';

/** The bytes of an external data file, by the location the model names (undefined: not there). */
export type ExternalResolver = (location: string) => Uint8Array | undefined;

/** A data file held in memory, as onnxruntime's `externalData` option takes it. */
export interface ExternalFile { path: string; data: Uint8Array }

/** A model whose weights live in data files beside it (a model over protobuf's 2 GiB must be split). */
export interface SplitModel { model: Uint8Array; externalData: ExternalFile[] }

/** What an onnxruntime session is created from: one self-contained protobuf, or a split model. */
export type SessionModel = Uint8Array | SplitModel;

export const isSplit = (m: SessionModel): m is SplitModel => !(m instanceof Uint8Array);
/** The protobuf part of a session model. */
export const modelBytes = (m: SessionModel): Uint8Array => (isSplit(m) ? m.model : m);

/** Why a location may not be used (it could name a file outside the model's folder), or undefined when it may. */
export function locationProblem(location: string): string | undefined {
  if (location === '') return 'it is empty';
  if (location.includes('\0')) return 'it holds a NUL character';
  if (location.includes('\\')) return 'it holds a backslash';
  if (location.startsWith('/')) return 'it is an absolute path';
  if (location.includes(':')) return 'it holds a colon (a drive letter, URL or stream name)';
  if (location.split('/').includes('..')) return "it has a '..' segment";
  if (location.split('/').every((s) => s === '' || s === '.')) return 'it names a folder, not a file';
  return undefined;
}

const size = (n: number) => (n < 2 ** 20 ? `${(n / 1024).toFixed(1)} KiB` : `${(n / 2 ** 20).toFixed(1)} MiB`);

/** The line of "what loading did" for a model read with its data files: 'external data: model.onnx_data
 * (189.2 KiB) read into memory', or '… 40 data files (294.1 KiB) …'. */
export function externalNote(files: readonly ExternalFile[]): string {
  const what = files.length <= 2 ? files.map((f) => `${f.path} (${size(f.data.length)})`).join(', ') : `${files.length} data files (${size(files.reduce((n, f) => n + f.data.length, 0))})`;
  return `external data: ${what} read into memory`;
}

/** A resolver over files held in memory (studio drops, downloads, tests). */
export function filesResolver(files: readonly ExternalFile[]): ExternalResolver {
  const byPath = new Map(files.map((f) => [normalizeLocation(f.path), f.data]));
  return (location) => byPath.get(normalizeLocation(location));
}

/** 'a/./b', './a//b' → 'a/b' (locations are compared after this; '..' is refused before). */
export function normalizeLocation(location: string): string {
  return location.split('/').filter((s) => s !== '' && s !== '.').join('/');
}

const MEMORY = 'vp-memory:';
const kept = new Map<string, Uint8Array>();
const forget = typeof FinalizationRegistry === 'function' ? new FinalizationRegistry<string[]>((ls) => { for (const l of ls) kept.delete(l); }) : undefined;

/** A fresh location prefix for data kept in memory (never a file name: it holds a colon and a random id). */
export const memoryPrefix = (): string => `${MEMORY}${crypto.randomUUID()}/`;

/** Keeps `files` (named by memoryPrefix locations) in memory for as long as `owner` (the model bytes) lives. */
export function keepInMemory(owner: Uint8Array, files: readonly ExternalFile[]): void {
  for (const f of files) kept.set(f.path, f.data);
  forget?.register(owner, files.map((f) => f.path));
}

/** Model bytes as a session model: with the data this process keeps in memory for them, if they name any. */
export function withKeptData(m: SessionModel): SessionModel {
  if (isSplit(m)) return m;
  const locations = externalLocations(m).map((l) => l.location).filter((l) => kept.has(l));
  return locations.length ? { model: m, externalData: locations.map((path) => ({ path, data: kept.get(path)! })) } : m;
}

const count = (s: string | undefined): number | undefined => (s !== undefined && /^\d+$/.test(s) && Number.isSafeInteger(Number(s)) ? Number(s) : undefined);

/**
 * The bytes of an external tensor: its key/values checked (location confined, offset and length integers inside
 * the file, length = `expected` bytes) before the slice is taken (a view: nothing is copied or allocated here).
 * Throws one line naming the tensor and the location.
 */
export function externalBytes(name: string, entries: readonly { key?: string; value?: string }[], expected: number, resolve: ExternalResolver | undefined): Uint8Array {
  const kv = new Map(entries.map((e) => [e.key ?? '', e.value ?? '']));
  const location = kv.get('location');
  if (location === undefined) throw new Error(`tensor '${name}' uses external data but names no location`);
  const at = `tensor '${name}' (external data '${location}')`;
  let file = location.startsWith(MEMORY) ? kept.get(location) : undefined;
  if (!file) {
    const bad = locationProblem(location);
    if (bad) throw new Error(`${at}: the location must be a file inside the model's folder, but ${bad}`);
    if (!resolve) throw new Error(`${at}: the model's data files were not given (load the model from its folder, or drop the data files with it)`);
    file = resolve(location);
    if (!file) throw new Error(`${at}: the data file '${location}' is missing (it must be beside the model)`);
  }
  const offset = count(kv.get('offset') ?? '0');
  if (offset === undefined) throw new Error(`${at}: offset '${kv.get('offset')}' is not a byte count`);
  const length = kv.has('length') ? count(kv.get('length')) : Math.max(0, file.length - offset);
  if (length === undefined) throw new Error(`${at}: length '${kv.get('length')}' is not a byte count`);
  if (offset > file.length || length > file.length - offset) throw new Error(`${at}: bytes ${offset}..${offset + length} are past the end of the file (${file.length} bytes)`);
  if (length !== expected) throw new Error(`${at}: length ${length} bytes, but the tensor's shape and type need ${expected}`);
  return file.subarray(offset, offset + length);
}
