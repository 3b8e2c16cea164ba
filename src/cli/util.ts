// CLI helpers: the error type whose message is printed as the one-line failure, and file reading that names
// the file it could not read.
import { readFileSync } from 'node:fs';

export class CliError extends Error {}

export function readFileOrFail(path: string, what: string): Uint8Array {
  try {
    return new Uint8Array(readFileSync(path));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new CliError(`${what} ${path}: ${code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (e as Error).message}`);
  }
}
