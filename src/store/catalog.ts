// The backbone catalogue: bundled starters (models/starters.json) and downloadable backbones
// (models/catalog.json), parsed tolerantly (a list, {starters|models|backbones: [...]}, or a record by id), and the
// normalisation guess for a backbone (a catalogue entry's own statistics, else the family's usual ones). An entry
// for a model with external data lists its data files (`dataFiles`), downloaded beside the model.
import type { BackboneInfo } from '../engine/compile.ts';

export interface CatalogEntry {
  id: string;
  name: string;
  url: string;
  bundled: boolean;
  family?: string;
  inputSize?: number;
  mean?: number[];
  std?: number[];
  classes?: string[];
  sha256?: string;
  description?: string;
  sizeBytes?: number;
  /** Other URLs of the same file, tried in order when the main one fails. */
  mirrors?: string[];
  /** URLs of the model's own config.json / preprocessor_config.json (class names, normalisation, input size). */
  config?: string;
  preprocessor?: string;
  /** The data files of a model with external data (model.onnx_data …): where to download each, and the location
   * the model names it with (`path`, default: the URL's file name). */
  dataFiles?: DataFileEntry[];
  /** Learning rates measured to work for this backbone (bundled starters), with why. */
  recommended?: { lr: number; promptLr: number; why: string };
}

export interface DataFileEntry { url: string; path: string; sha256?: string; sizeBytes?: number }

export interface Normalisation { mean: number[]; std: number[]; why: string }

export const IMAGENET: Normalisation = { mean: [0.485, 0.456, 0.406], std: [0.229, 0.224, 0.225], why: 'ImageNet statistics (torchvision ResNets, Swin)' };
export const HALF: Normalisation = { mean: [0.5, 0.5, 0.5], std: [0.5, 0.5, 0.5], why: 'mean = std = 0.5 (Google / augreg ViTs)' };

const str = (v: unknown): string | undefined => (typeof v === 'string' && v.length > 0 ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const triple = (v: unknown): number[] | undefined => (Array.isArray(v) && v.length === 3 && v.every((x) => typeof x === 'number') ? v.map(Number) : undefined);
const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function entriesOf(raw: unknown): Array<[string | undefined, Record<string, unknown>]> {
  if (Array.isArray(raw)) return raw.filter(isObj).map((e) => [undefined, e]);
  if (!isObj(raw)) return [];
  for (const k of ['starters', 'models', 'backbones', 'entries']) if (Array.isArray(raw[k])) return entriesOf(raw[k]);
  return Object.entries(raw).filter((e): e is [string, Record<string, unknown>] => isObj(e[1]));
}

/** A URL of the catalogue: absolute, or a file relative to `base`. */
const resolveUrl = (file: string, base: string) => (/^(https?:|blob:|data:|\/)/.test(file) ? file : base + file.replace(/^(\.\/)?(models\/)?/, ''));

/** `dataFiles`: [{url, path?, sha256?, sizeBytes?}] or URLs; entries without a URL are dropped. */
function dataFilesOf(raw: unknown, base: string): DataFileEntry[] | undefined {
  if (!Array.isArray(raw)) return undefined;
  const out: DataFileEntry[] = [];
  for (const d of raw) {
    const o: Record<string, unknown> = isObj(d) ? d : { url: d };
    const file = str(o.url) ?? str(o.file);
    if (!file) continue;
    const url = resolveUrl(file, base);
    out.push({ url, path: str(o.path) ?? str(o.location) ?? decodeURIComponent(url.split(/[?#]/)[0].split('/').pop() ?? ''), sha256: str(o.sha256), sizeBytes: num(o.sizeBytes) ?? num(o.bytes) ?? num(o.size_bytes) });
  }
  return out.length ? out : undefined;
}

/** Catalogue entries with a model URL (relative files resolve against `base`, e.g. "/models/"). */
export function parseCatalog(raw: unknown, base: string, bundled: boolean): CatalogEntry[] {
  const out: CatalogEntry[] = [];
  for (const [key, e] of entriesOf(raw)) {
    const norm = isObj(e.normalization) ? e.normalization : isObj(e.normalisation) ? e.normalisation : isObj(e.preprocessing) ? e.preprocessing : e;
    const file = str(e.url) ?? str(e.file) ?? str(e.path) ?? str(e.onnx) ?? str(e.model);
    if (!file) continue;
    const url = resolveUrl(file, base);
    const id = str(e.id) ?? key ?? file;
    out.push({
      id, url, bundled: e.source === 'bundled' || (bundled && !/^https?:/.test(file)) || !/^(https?:|blob:|data:)/.test(url),
      name: str(e.name) ?? str(e.title) ?? id,
      family: str(e.family) ?? str(e.arch),
      inputSize: num(e.inputSize) ?? num(e.input_size) ?? num(e.image_size) ?? num(e.size),
      mean: triple(norm.mean), std: triple(norm.std),
      classes: Array.isArray(e.classes) ? e.classes.map(String) : undefined,
      sha256: str(e.sha256),
      description: str(e.description) ?? str(e.notes),
      sizeBytes: num(e.bytes) ?? num(e.sizeBytes) ?? num(e.size_bytes),
      mirrors: Array.isArray(e.mirrors) ? e.mirrors.filter((m): m is string => typeof m === 'string') : undefined,
      config: str(e.config), preprocessor: str(e.preprocessor),
      dataFiles: dataFilesOf(e.dataFiles ?? e.data_files ?? e.externalData, base),
      recommended: isObj(e.recommended) && num(e.recommended.lr) ? { lr: num(e.recommended.lr)!, promptLr: num(e.recommended.promptLr) ?? 0, why: str(e.recommended.why) ?? '' } : undefined,
    });
  }
  return out;
}

/** What normalisation a backbone most likely expects. */
/** The catalogue entry of a model: by the URL it came from, else by its sha256 — never by file name (hub files are
 * all called model.onnx). */
export function catalogEntryOf(catalog: CatalogEntry[], m: { url?: string; sha256?: string }): CatalogEntry | undefined {
  return catalog.find((c) => (m.url !== undefined && c.url === m.url) || (c.sha256 !== undefined && c.sha256 === m.sha256));
}

/** The normalisation of a loaded model: its catalogue entry's (matched by the URL it came from or its sha256 —
 * never by file name: hub files are all called model.onnx), else a guess from the name and family. */
export function suggestNormalisation(info: BackboneInfo, sha256: string, name: string, catalog: CatalogEntry[], url?: string): Normalisation {
  const hit = catalogEntryOf(catalog, { url, sha256 });
  if (hit?.mean && hit.std) return { mean: hit.mean, std: hit.std, why: `recorded for ${hit.name}` };
  if (/augreg|google|vit-base-patch|vit_base_patch/i.test(name) && info.family === 'vit') return HALF;
  if (/in21k_miil|miil/i.test(name)) return { mean: [0, 0, 0], std: [1, 1, 1], why: 'no normalisation (ImageNet-21K-P / MIIL)' };
  return info.family === 'vit' ? HALF : IMAGENET;
}
