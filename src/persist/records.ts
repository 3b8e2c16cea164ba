// Schemas of the records the studio keeps in IndexedDB (runs.ts): a saved run and its trained tensors. What comes
// back from storage is checked before the studio uses it — a record written by an older build, cut short by a
// full disk or edited by hand is reported in one line naming it and the field, and skipped; the other runs load.
import * as v from 'valibot';
import { checkSchema } from '../io/json.ts';
import { arr, nonNegInt, obj, oneOf, opt, posInt, str } from '../io/schema.ts';
import { epochMetricsSchema, trainConfigSchema } from '../io/schemas/manifest.ts';
import type { RunRecord } from './runs.ts';
import type { WireTensor } from '../worker/protocol.ts';

const number = () => v.number('a number');
const numberList = (what: string) => arr(number(), what);

export const runRecordSchema = obj({
  id: str(), name: str(), created: str(),
  status: oneOf(['running', 'done', 'stopped', 'diverged', 'error', 'interrupted'] as const),
  error: opt(str()), parent: opt(str()),
  cfg: trainConfigSchema,
  classes: arr(str(), 'an array of class names'),
  backbone: obj({ name: str(), sha256: str(), info: obj({ family: str(), inputSize: posInt(), loadNotes: v.optional(arr(str()), []) }), url: opt(str()) }),
  data: obj({ name: str(), train: nonNegInt(), val: nonNegInt(), skipped: arr(obj({ path: str(), reason: str() })) }),
  trainable: number(), backend: str(), totalSteps: number(),
  steps: arr(obj({ step: number(), epoch: number(), loss: number() }), 'an array of step points'),
  epochs: arr(epochMetricsSchema, 'an array of epoch metrics'),
  mapping: opt(numberList('an array of class indices')),
  evaluation: opt(obj({ accuracy: number(), perClass: numberList('an array of numbers'), confusion: arr(numberList('an array of numbers'), 'a matrix') })),
  samples: opt(arr(obj({ path: str(), label: number(), size: posInt(), data: v.instance(Float32Array, 'a Float32Array') }))),
  seconds: number(),
});

const wireTensor = v.pipe(
  obj({ dtype: oneOf(['float32', 'int32'] as const), shape: arr(nonNegInt(), 'an array of dimensions'), data: v.union([v.instance(Float32Array), v.instance(Int32Array)], 'a Float32Array or Int32Array') }),
  v.check((t) => t.data.length === t.shape.reduce((a, b) => a * b, 1) && (t.dtype === 'float32') === t.data instanceof Float32Array, 'a tensor whose data fills its shape and dtype'),
);
export const wireTensorsSchema = v.record(v.string(), wireTensor, 'an object of tensors');

/** A stored run record, checked; else a FileFormatError naming it (`saved run '<id>': field … `). The schema checks
 * what the studio reads back; the rest of the backbone's description is kept as it was stored. */
export const checkRunRecord = (key: string, value: unknown): RunRecord => checkSchema(runRecordSchema, value, `saved run '${key}'`) as unknown as RunRecord;

/** A stored run's tensors, checked likewise. */
export const checkRunTensors = (id: string, value: unknown): Record<string, WireTensor> => checkSchema(wireTensorsSchema, value, `saved tensors of run '${id}'`);
