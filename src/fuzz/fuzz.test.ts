// The short seeded fuzz run of the test suite: every reader gets a thousand mutations of valid files and must
// answer each with a valid result or one line of its own (harness.ts), in time. `npm run fuzz -- --seconds N`
// (scripts/fuzz.ts) runs the same targets for longer with fresh seeds; what it finds joins regressions.test.ts.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { attempt, inputsOf } from './harness.ts';
import { TARGETS } from './targets.ts';

const RUNS = Number(process.env.VP_FUZZ_RUNS ?? 1000);

describe('fuzzing every reader (seeded)', () => {
  for (const t of TARGETS) {
    it(`${t.name}: a result or one line of its own, in time`, async () => {
      const arb = await inputsOf(t);
      const tally = { ok: 0, refused: 0 };
      await fc.assert(fc.asyncProperty(arb, async (bytes) => {
        const r = await attempt(t, bytes);
        if (r.kind === 'finding') expect.fail(`${t.name}: ${r.message}`);
        tally[r.kind]++;
      }), { seed: 19, numRuns: RUNS, endOnFailure: true });
      // the mutations reach both sides: some inputs still read, most are refused
      expect(tally.refused).toBeGreaterThan(0);
      expect(tally.ok).toBeGreaterThan(0);
      expect(tally.ok + tally.refused).toBe(RUNS);
    });
  }
});
