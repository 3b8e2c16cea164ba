// Schemas of the run files that travel between people, the CLI, the studio and PyTorch: manifest.json (a run's
// settings, backbone identity, preprocessing, classes) and checkpoint.json (where --resume continues). Fields the
// readers use are required and typed; fields added later are optional with the defaults older runs trained with;
// unknown fields are kept.
import * as v from 'valibot';
import { DEFAULTS, HEADS, METHODS, type TrainConfig } from '../../engine/config.ts';
import { MANIFEST_FORMAT, type Manifest } from '../../engine/manifest.ts';
import { readJson } from '../json.ts';
import { arr, bool, exactly, int, nonNegInt, num, numbers, obj, oneOf, opt, posInt, str, strings } from '../schema.ts';

const withDefault = <T extends v.GenericSchema>(s: T, value: v.InferOutput<T>) => v.optional(s, value as never);

/** Each setting's check (the saved form is checked field by field: src/io/schemas/studio.ts). */
export const trainConfigEntries = {
  method: oneOf(METHODS), head: oneOf(HEADS), rank: posInt(), init: str(), padWidth: nonNegInt(), tokens: nonNegInt(),
  mappingFreq: withDefault(posInt(), DEFAULTS.mappingFreq), epochs: posInt(), batchSize: posInt(), lr: num(),
  promptLr: withDefault(num(), DEFAULTS.promptLr), optimizer: oneOf(['sgd', 'adamw'] as const), momentum: withDefault(num(), DEFAULTS.momentum),
  weightDecay: withDefault(num(), DEFAULTS.weightDecay), scheduler: oneOf(['cosine', 'multistep', 'constant'] as const),
  warmup: withDefault(nonNegInt(), DEFAULTS.warmup), mean: numbers(3), std: numbers(3), seed: withDefault(int(), DEFAULTS.seed),
  shuffle: withDefault(bool(), DEFAULTS.shuffle), augment: withDefault(bool(), DEFAULTS.augment),
  microBatch: withDefault(nonNegInt(), DEFAULTS.microBatch), valFraction: withDefault(num(), DEFAULTS.valFraction),
};

export const trainConfigSchema = obj(trainConfigEntries);

const names = (what: string) => arr(str(), what);

export const manifestSchema = obj({
  format: exactly(MANIFEST_FORMAT),
  settings: trainConfigSchema,
  backbone: obj({ file: str(), path: opt(str()), sha256: v.string("the sha256 of the backbone's ONNX file (a PyTorch run trained with --no-export has none: train it with --onnx FILE, or without --no-export)"), family: str(), inputSize: posInt(), params: withDefault(nonNegInt(), 0) }),
  preprocessing: obj({
    inputSize: posInt(), mean: numbers(3), std: numbers(3), range: withDefault(exactly('[0,1]'), '[0,1]'),
    resize: withDefault(exactly('bilinear'), 'bilinear'), layout: withDefault(exactly('NCHW'), 'NCHW'),
  }),
  classes: v.pipe(names('an array of class names'), v.minLength(1, 'at least one class name')),
  sourceClasses: opt(names('an array of class names')),
  loading: opt(names('an array of lines')),
  trainableParameters: withDefault(nonNegInt(), 0),
  seed: withDefault(int(), 0),
  data: withDefault(obj({ train: nonNegInt(), val: nonNegInt(), skipped: withDefault(arr(obj({ path: str(), reason: str() })), []) }), { train: 0, val: 0, skipped: [] }),
  final: withDefault(v.record(v.string(), v.unknown(), 'an object'), {}),
  backend: withDefault(str(), 'unknown'),
  versions: withDefault(strings(), {}),
  created: withDefault(str(), ''),
});

// the schema's output is a Manifest (a compile-time check that the two stay in step)
const _sameConfig: TrainConfig = {} as v.InferOutput<typeof trainConfigSchema>;
const _same: Manifest = {} as v.InferOutput<typeof manifestSchema>;
void _sameConfig; void _same;

/** A manifest.json's text or bytes, bounded, parsed and checked; `file` names it in the one-line error. */
export const readManifestJson = (input: string | Uint8Array, file = 'manifest.json'): Manifest => readJson(manifestSchema, input, file);

export const CHECKPOINT_FORMAT = 'vp-studio-checkpoint/1';

const metric = () => v.nullable(v.number('a number'), null);

export const epochMetricsSchema = obj({
  epoch: nonNegInt(), train_acc: metric(), train_loss: metric(), val_acc: metric(), val_loss: metric(),
  images_per_s: withDefault(num(), 0), seconds: withDefault(num(), 0),
});

const flag = () => v.union([str(), v.pipe(num(), v.transform(String))], 'a string');
const optFlag = (value?: string) => (value === undefined ? v.optional(flag()) : v.optional(flag(), value));

/** The train command's flags as `vp-studio train` saved them (strings, and true/false for the switches). */
export const trainFlagsSchema = obj({
  model: str(), data: str(), out: optFlag(), val: optFlag(), initFrom: optFlag(),
  method: str(), head: str(), rank: flag(), init: str(), padWidth: flag(), tokens: flag(), mappingFreq: optFlag('1'),
  epochs: flag(), batchSize: flag(), lr: flag(), promptLr: optFlag(), optimizer: str(), momentum: optFlag('0.9'),
  weightDecay: optFlag('1e-4'), scheduler: str(), warmup: optFlag('0'), mean: optFlag(), std: optFlag(), seed: flag(),
  shuffle: withDefault(bool(), true), augment: withDefault(bool(), true), valFraction: optFlag('0.2'), microBatch: optFlag('0'),
  inputSize: optFlag(), memoryBudget: optFlag(), threads: optFlag(),
});

export const checkpointSchema = obj({
  format: exactly(CHECKPOINT_FORMAT),
  flags: trainFlagsSchema,
  epoch: nonNegInt(),
  step: nonNegInt(),
  rngState: v.pipe(arr(int(), 'an array of 4 integers'), v.length(4, 'an array of 4 integers')),
  epochs: arr(epochMetricsSchema, 'an array of epoch metrics'),
  // what the run was trained on, so a reader can refuse to continue it on other classes, data or another backbone
  // (written since checkpoints travel between the studio, the CLI and PyTorch; older checkpoints lack them)
  classes: opt(v.pipe(names('an array of class names'), v.minLength(1, 'at least one class name'))),
  backbone: opt(obj({ file: str(), sha256: v.nullable(str(), null), family: withDefault(str(), 'unknown'), inputSize: posInt() })),
  data: opt(obj({ train: nonNegInt(), val: nonNegInt() })),
});
