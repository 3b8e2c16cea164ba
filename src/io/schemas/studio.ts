// Schemas of what the studio reads back from its own storage and its own server, which a stale version, another tab
// or a hand edit can still have changed: the saved form in localStorage, and a demo's pack.bin index. The form is a
// convenience: a field that fails its check is dropped (the form's default stands) and the rest is kept; a pack
// whose index fails is not used (the demo's images are then fetched one by one).
import * as v from 'valibot';
import { arr, nonNegInt, obj, opt, posInt, str } from '../schema.ts';

/** The saved form's backbone and data source (src/persist/settings.ts checks the form field by field). */
export const savedBackboneSchema = obj({ name: str(), sha256: str(), url: opt(str()), inputSize: opt(posInt()) });
export const savedDataSchema = v.union([obj({ kind: v.literal('demo') }), obj({ kind: v.literal('folder'), name: str() })], 'a data source');

/** A demo pack.bin's index: [{path, length}] in the order of the bytes that follow it. */
export const packIndexSchema = arr(obj({ path: str(), length: nonNegInt() }), 'an array of {path, length}');
