// Schema of the backbone catalogue, models/catalog.json and models/starters.json (format: models/README.md
// "Catalogue format"): the envelope ({backbones: [...]}, {starters|models|entries: [...]}, a list, or a record by
// id) and the types of every entry field the studio reads. Fields it does not read (licence, top1, …) are kept.
import * as v from 'valibot';
import { checkSchema, parseJson } from '../json.ts';
import { arr, bool, nonNegInt, num, numbers, obj, opt, posInt, str } from '../schema.ts';

const sha256 = () => v.pipe(v.string('a hex sha256'), v.regex(/^[0-9a-f]{64}$/i, 'a hex sha256'));
const dataFile = v.union([str(), obj({ url: opt(str()), file: opt(str()), path: opt(str()), location: opt(str()), sha256: opt(sha256()), sizeBytes: opt(nonNegInt()) })], 'a URL or {url, path?, sha256?, sizeBytes?}');
const statistics = obj({ mean: opt(numbers(3)), std: opt(numbers(3)) });

export const catalogEntrySchema = obj({
  id: opt(str()), name: opt(str()), title: opt(str()), source: opt(str()),
  url: opt(str()), file: opt(str()), path: opt(str()), onnx: opt(str()), model: opt(str()),
  family: opt(str()), arch: opt(str()), inputSize: opt(posInt()), input_size: opt(posInt()), image_size: opt(posInt()),
  mean: opt(numbers(3)), std: opt(numbers(3)), normalization: opt(statistics), normalisation: opt(statistics), preprocessing: opt(statistics),
  classes: opt(arr(str(), 'an array of class names')), sha256: opt(sha256()), description: opt(str()), notes: opt(str()),
  bytes: opt(nonNegInt()), sizeBytes: opt(nonNegInt()), size_bytes: opt(nonNegInt()),
  mirrors: opt(arr(str(), 'an array of URLs')), config: opt(str()), preprocessor: opt(str()),
  dataFiles: opt(arr(dataFile, 'an array of data files')), data_files: opt(arr(dataFile, 'an array of data files')),
  recommended: opt(obj({ lr: num(), promptLr: opt(num()), why: opt(str()), measured: opt(str()) })), classifier: opt(bool()),
});

const entries = arr(catalogEntrySchema, 'an array of catalogue entries');

const LIST_KEYS = ['backbones', 'starters', 'models', 'entries'] as const;
const byId = v.record(v.string(), v.union([catalogEntrySchema, str(), num()], 'a catalogue entry'), 'an object');

/** The whole file, checked in the shape it takes (a list, an object listing entries under one of the known keys,
 * or a record by id), so the error names the entry and field: `catalog.json: field 'backbones[3].sha256' …`. */
export function readCatalogJson(input: string | Uint8Array, file: string): unknown {
  const raw = parseJson(input, file);
  if (Array.isArray(raw)) return checkSchema(entries, raw, file);
  const key = raw && typeof raw === 'object' ? LIST_KEYS.find((k) => k in raw) : undefined;
  if (key) return checkSchema(obj({ [key]: entries }), raw, file);
  return checkSchema(byId, raw, file);
}
