// Mutations of valid files for the fuzz tests (fast-check arbitraries): byte-level ones for binary formats (bit
// flips, interesting values — 0, 0xff, 2^31, 2^32-1 — written over length and size fields, truncation, appended
// or spliced bytes, a chunk repeated or dropped) and structural ones for JSON (a value replaced by any JSON value,
// a key dropped, a `__proto__` key, deep nesting), then sometimes byte-mutated as text too.
import fc from 'fast-check';

const INTERESTING_U32 = [0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 100_000, 65_536];

type Edit = (b: Uint8Array) => Uint8Array;

const at = (b: Uint8Array, f: number) => Math.min(b.length - 1, Math.floor(f * b.length));

const byteEdit: fc.Arbitrary<Edit> = fc.oneof(
  // flip one bit
  fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 7 })).map(([f, bit]): Edit => (b) => {
    if (!b.length) return b;
    const c = b.slice(); c[at(c, f)] ^= 1 << bit; return c;
  }),
  // write an interesting 32-bit value (LE or BE) over four bytes: length fields, dims, offsets
  fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.constantFrom(...INTERESTING_U32), fc.boolean()).map(([f, x, le]): Edit => (b) => {
    if (b.length < 4) return b;
    const c = b.slice(), i = Math.min(c.length - 4, at(c, f));
    new DataView(c.buffer, c.byteOffset, c.byteLength).setUint32(i, x, le); return c;
  }),
  // set one byte
  fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 0, max: 255 })).map(([f, x]): Edit => (b) => {
    if (!b.length) return b;
    const c = b.slice(); c[at(c, f)] = x; return c;
  }),
  // truncate
  fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }).map((f): Edit => (b) => b.slice(0, Math.floor(f * b.length))),
  // append or splice in random bytes
  fc.tuple(fc.double({ min: 0, max: 1, noNaN: true }), fc.uint8Array({ minLength: 1, maxLength: 32 })).map(([f, ins]): Edit => (b) => {
    const i = Math.floor(f * b.length), c = new Uint8Array(b.length + ins.length);
    c.set(b.subarray(0, i)); c.set(ins, i); c.set(b.subarray(i), i + ins.length); return c;
  }),
  // repeat or drop a chunk
  fc.tuple(fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.integer({ min: 1, max: 64 }), fc.boolean()).map(([f, n, repeat]): Edit => (b) => {
    const i = Math.floor(f * b.length), j = Math.min(b.length, i + n);
    const chunk = b.subarray(i, j), c = new Uint8Array(b.length + (repeat ? chunk.length : -chunk.length));
    if (repeat) { c.set(b.subarray(0, j)); c.set(chunk, j); c.set(b.subarray(j), j + chunk.length); } else { c.set(b.subarray(0, i)); c.set(b.subarray(j), i); }
    return c;
  }),
);

/** A seed with 1–4 byte edits applied (or, rarely, random bytes of its length). */
export function mutatedBytes(seeds: readonly Uint8Array[]): fc.Arbitrary<Uint8Array> {
  seeds = seeds.map((s) => Uint8Array.from(s)); // plain copies: a Node Buffer's slice() would share its memory
  return fc.oneof(
    { weight: 20, arbitrary: fc.tuple(fc.constantFrom(...seeds), fc.array(byteEdit, { minLength: 1, maxLength: 4 })).map(([s, edits]) => edits.reduce((b, e) => e(b), s)) },
    { weight: 1, arbitrary: fc.uint8Array({ maxLength: 256 }) },
  );
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path into a JSON value (arrays by index, objects by key). */
function paths(v: Json, prefix: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  out.push(prefix);
  if (Array.isArray(v)) v.forEach((x, i) => paths(x, [...prefix, i], out));
  else if (v && typeof v === 'object') for (const [k, x] of Object.entries(v)) paths(x, [...prefix, k], out);
  return out;
}

function edit(v: Json, path: (string | number)[], f: (x: Json, parent: Json, key: string | number) => Json | undefined): Json {
  if (!path.length) return f(v, null, '') ?? null;
  const [k, ...rest] = path;
  if (Array.isArray(v)) { const c = [...v]; const r = rest.length ? edit(c[k as number], rest, f) : f(c[k as number], v, k); if (r === undefined) c.splice(k as number, 1); else c[k as number] = r; return c; }
  if (v && typeof v === 'object') {
    const c: { [k: string]: Json } = { ...v };
    const r = rest.length ? edit(c[k], rest, f) : f(c[k], v, k);
    if (r === undefined) delete c[k]; else c[k] = r;
    return c;
  }
  return v;
}

const hostile = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }) as fc.Arbitrary<Json>,
  fc.constantFrom<Json>(null, -1, 0, 1e300, -0.5, 2 ** 53, '', 'x', [], {}, [[[]]], true, '__proto__', 'constructor'),
  fc.integer({ min: 2, max: 300 }).map((d): Json => { let x: Json = 1; for (let i = 0; i < d; i++) x = [x]; return x; }),
);

/** The JSON text of a seed with 1–3 structural edits, and sometimes a byte edit of the text. */
export function mutatedJson(seeds: readonly unknown[]): fc.Arbitrary<Uint8Array> {
  const enc = new TextEncoder();
  const structural = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat(3), hostile), { minLength: 1, maxLength: 3 })).map(([seed, edits]) => {
    let v = seed as Json;
    for (const [pick, how, value] of edits) {
      const ps = paths(v), p = ps[pick % ps.length];
      v = edit(v, p, (x, parent) => {
        if (how === 0) return value;                                 // replace
        if (how === 1 && parent !== null) return undefined;          // drop
        if (how === 2 && x && typeof x === 'object' && !Array.isArray(x)) return { ...x, [`k${pick % 7}`]: value };  // add an unknown field
        return x;
      });
      if (how === 3) return enc.encode(JSON.stringify(v).replace('{', `{"__proto__":${JSON.stringify(value)},`));
    }
    return enc.encode(JSON.stringify(v));
  });
  return fc.oneof({ weight: 4, arbitrary: structural }, { weight: 1, arbitrary: structural.chain((b) => mutatedBytes([b])) });
}
