// The small vocabulary our JSON schemas are written in (valibot underneath): every schema carries the words of
// what it expects ("an integer", "one of lorvp, pad"), which checkSchema (json.ts) puts into the one-line error.
// Objects are loose: fields we do not know are kept, never fatal; `__proto__`, `constructor` and `prototype` keys
// are not copied.
import * as v from 'valibot';

export const str = () => v.string('a string');
export const bool = () => v.boolean('true or false');
export const num = () => v.pipe(v.number('a number'), v.finite('a finite number'));
export const int = () => v.pipe(v.number('an integer'), v.safeInteger('an integer'));
export const nonNegInt = () => v.pipe(v.number('a non-negative integer'), v.safeInteger('a non-negative integer'), v.minValue(0, 'a non-negative integer'));
export const posInt = () => v.pipe(v.number('a positive integer'), v.safeInteger('a positive integer'), v.minValue(1, 'a positive integer'));
export const positive = () => v.pipe(v.number('a positive number'), v.finite('a positive number'), v.gtValue(0, 'a positive number'));

/** A loose object: the listed fields are checked, unknown ones kept. */
export const obj = <E extends v.ObjectEntries>(entries: E, what = 'an object') =>
  v.pipe(v.custom<object>(isPlainObject, what), v.looseObject(entries, what));
const isPlainObject = (x: unknown): boolean => typeof x === 'object' && x !== null && !Array.isArray(x);
/** An array of `item`s; `what` names the whole ("an array of integers"). */
export const arr = <T extends v.GenericSchema>(item: T, what = 'an array') => v.array(item, what);
/** One of a fixed list of strings. */
export const oneOf = <const T extends readonly string[]>(values: T) => v.picklist(values, `one of ${values.join(', ')}`);
/** Exactly this string. */
export const exactly = <const T extends string>(value: T) => v.literal(value, `"${value}"`);
/** n numbers (mean / std triples). */
export const numbers = (n: number) => v.pipe(arr(num(), `${n} numbers`), v.length(n, `${n} numbers`));
/** A record of strings by string key (safetensors metadata, version lists). */
export const strings = () => v.record(v.string(), str(), 'an object of strings');
/** Optional: absent (undefined) is fine; present must match. */
export const opt = <T extends v.GenericSchema>(s: T) => v.optional(s);
