// The error every reader of a file from outside throws when the file is malformed, hostile or over a limit: one
// line in the tool's own words, naming the file (or format) and what was wrong. The CLI prints its message as
// `vp-studio: <message>`, the studio as the panel's one-line notice; the fuzz tests accept it (and the ONNX
// codec's OnnxFormatError, which src/onnx keeps to itself) and nothing else.

export class FileFormatError extends Error {
  override name = 'FileFormatError';
  constructor(message: string) {
    super(oneLine(message));
  }
}

/** A message on one line: the first line of an error's text (sharp and libvips append their logs on more). */
export function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0].trim();
}

/** Any text on one line, cut to `max` characters (a message quoting a stranger's bytes must not flood a terminal). */
export function oneLine(text: string, max = 400): string {
  const s = text.replace(/\s*[\r\n]+\s*/g, ' ').trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** A short preview of a value for a message: JSON, cut to 40 characters. */
export function preview(v: unknown): string {
  if (v === undefined) return 'nothing';
  let s: string;
  try { s = JSON.stringify(v) ?? String(v); } catch { s = Object.prototype.toString.call(v); }
  return s.length > 40 ? `${s.slice(0, 39)}…` : s;
}

/** A byte count for a limit's message: "64 MiB", "1.5 GiB", "900 bytes". */
export function bytesText(n: number): string {
  if (n >= 2 ** 30) return `${+(n / 2 ** 30).toFixed(1)} GiB`;
  if (n >= 2 ** 20) return `${+(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${+(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} bytes`;
}
