// CLI helpers: the error type whose message is printed as the one-line failure, and file reading that names
// the file it could not read.
import { readFileSync } from 'node:fs';

export class CliError extends Error {}

export function readFileOrFail(path: string, what: string): Uint8Array {
  try {
    const b = readFileSync(path);
    // the Buffer's own memory when it owns it whole (any file past Node's 4 KiB pool): a copy doubled a large model
    return b.byteOffset === 0 && b.buffer.byteLength === b.byteLength ? new Uint8Array(b.buffer) : new Uint8Array(b);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
}
