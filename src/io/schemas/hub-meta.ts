// Schemas of a hub model's own metadata files, which come from strangers beside the ONNX file: HF `config.json`
// (only `id2label` is read: the source class names) and `preprocessor_config.json` (normalisation and input size).
// Every other field is kept and ignored; the fields read must have the types the hubs write.
import * as v from 'valibot';
import { bool, num, obj, opt, posInt } from '../schema.ts';

/** The most source classes a config.json may name (ImageNet-21K has 21,843). */
export const MAX_SOURCE_CLASSES = 100_000;

const classIndex = v.pipe(v.string(), v.regex(/^\d+$/, 'a class index'), v.check((k) => Number(k) < MAX_SOURCE_CLASSES, `a class index under ${MAX_SOURCE_CLASSES}`));

export const hfConfigSchema = obj({
  id2label: opt(v.nullable(v.pipe(
    v.record(v.string(), v.union([v.string(), v.number()], 'a class name'), 'an object of class names by index'),
    v.check((r) => Object.keys(r).every((k) => v.is(classIndex, k)), `an object whose keys are class indices under ${MAX_SOURCE_CLASSES}`),
  ))),
});

/** A side: a number, or {height, width} / {shortest_edge}. */
const side = v.union([posInt(), obj({ height: opt(posInt()), width: opt(posInt()), shortest_edge: opt(posInt()) })], 'a positive integer or {height, width} or {shortest_edge}');
const statistic = v.union([num(), v.pipe(v.array(num(), 'a number or 3 numbers'), v.length(3, 'a number or 3 numbers'))], 'a number or 3 numbers');

export const preprocessorSchema = obj({
  image_mean: opt(statistic), image_std: opt(statistic), size: opt(v.nullable(side)), crop_size: opt(v.nullable(side)),
  do_center_crop: opt(v.nullable(bool())), do_normalize: opt(v.nullable(bool())), do_rescale: opt(v.nullable(bool())),
});
