// Runs several `vp-studio` commands in one Node process (saves the start-up per run): node cli_many.mjs JOBS.json,
// JOBS.json = [[arg, …], …]. Exits with the first non-zero status.
import { readFileSync } from 'node:fs';
import { register } from 'tsx/esm/api';
register();
const { main } = await import('../../src/cli/main.ts');
for (const argv of JSON.parse(readFileSync(process.argv[2], 'utf8'))) {
  const rc = await main(argv);
  if (rc) { process.exitCode = rc; break; }
}
