// String order shared by the file formats and the data loaders: Unicode code-point order (= UTF-8 byte order),
// as Python's sorted() and Rust order strings; JavaScript's default sort compares UTF-16 code units instead.

export function compareCodePoints(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x === y) continue;
    const xs = x >= 0xd800 && x <= 0xdfff;
    const ys = y >= 0xd800 && y <= 0xdfff;
    if (xs !== ys) return xs ? 1 : -1; // a surrogate pair encodes a code point above every BMP one
    return x - y;
  }
  return a.length - b.length;
}
