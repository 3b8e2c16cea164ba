// A model's own metadata, as the hubs ship it beside the ONNX file: HF `config.json` (`id2label`: the source
// class names) and `preprocessor_config.json` (`image_mean`, `image_std`, `size`, `crop_size`/`crop_pct`,
// `do_center_crop`, `resample`, `do_rescale`, `do_normalize`). Parsed once into what training uses: the source
// class names (the label-mapping table), the normalisation and the input size L. Pure: the CLI reads the files
// from a folder, the studio from the dropped files. Both files are bounded and checked against their schemas
// (io/schemas/hub-meta.ts) before anything is read from them.
import { FileFormatError } from '../io/file-error.ts';
import { readJson } from '../io/json.ts';
import { hfConfigSchema, preprocessorSchema } from '../io/schemas/hub-meta.ts';

export interface ModelMeta {
  /** Source class names, index order (config.json id2label). */
  labels?: string[];
  mean?: number[];
  std?: number[];
  /** The model's input size: the centre crop when it crops, else the resize target. */
  size?: number;
  /** One line per file read, saying what was taken from it. */
  notes: string[];
}

type Json = Record<string, unknown>;

const side = (v: unknown): number | undefined => {
  if (typeof v === 'number') return v;
  if (v && typeof v === 'object') {
    const o = v as Json;
    if (typeof o.height === 'number') return o.height;
    if (typeof o.shortest_edge === 'number') return o.shortest_edge;
  }
  return undefined;
};

const triple = (v: number | number[] | undefined): number[] | undefined => (v === undefined ? undefined : typeof v === 'number' ? [v, v, v] : v);

export function parseModelMeta(files: { config?: string; preprocessor?: string }): ModelMeta {
  const meta: ModelMeta = { notes: [] };
  if (files.config !== undefined) {
    const id2label = readJson(hfConfigSchema, files.config, 'config.json').id2label;
    if (id2label) {
      const entries = Object.entries(id2label).map(([k, v]) => [Number(k), String(v)] as const);
      const labels: string[] = [];
      for (const [k, v] of entries) labels[k] = v;
      meta.labels = Array.from(labels, (v, i) => v ?? `class ${i}`);
      meta.notes.push(`config.json: ${meta.labels.length} source class names`);
    } else meta.notes.push('config.json: no id2label (no source class names)');
  }
  if (files.preprocessor !== undefined) {
    const file = 'preprocessor_config.json';
    const p = readJson(preprocessorSchema, files.preprocessor, file);
    if (p.do_normalize === false) { meta.mean = [0, 0, 0]; meta.std = [1, 1, 1]; } else {
      meta.mean = triple(p.image_mean);
      meta.std = triple(p.image_std);
    }
    if (meta.std?.some((s) => !(s > 0))) throw new FileFormatError(`${file}: image_std must be positive`);
    const crop = p.do_center_crop !== false ? side(p.crop_size) : undefined;
    const size = side(p.size);
    meta.size = crop ?? size;
    if (meta.size !== undefined && !(Number.isInteger(meta.size) && meta.size > 0)) throw new FileFormatError(`${file}: size must be a positive integer, got ${JSON.stringify(p.size)}`);
    const parts = [meta.mean && `mean ${meta.mean.join(',')}`, meta.std && `std ${meta.std.join(',')}`, meta.size && `input ${meta.size}`].filter(Boolean);
    if (p.do_rescale === false) parts.push('do_rescale false ignored: images are read in [0,1]');
    meta.notes.push(`${file}: ${parts.join(', ') || 'nothing used'}`);
  }
  return meta;
}
