// Stored records read back: a run the studio really trained and saved passes the record schema; a corrupt record
// beside it is skipped with one line naming it and the field, the good run still lists and opens, and corrupt
// tensors make opening say why instead of throwing.
import { describe, expect, it } from 'vitest';
import { ready, until } from '../store/test-harness.ts';
import { checkRunRecord } from './records.ts';
import { memoryRepo, type RunRecord } from './runs.ts';

describe('stored run records', () => {
  it('a trained run passes; a corrupt one is reported once and skipped, the other runs still load', async () => {
    const repo = memoryRepo();
    const s = await ready(repo);
    const id = (await s.actions.start())!;
    await until(s, (x) => x.run.phase === 'done' && x.runs.some((r) => r.status === 'done'));
    const [good] = await repo.list();
    expect(checkRunRecord(id, good)).toEqual(good);

    await repo.save({ ...good, id: 'broken', created: '2099-01-01', cfg: { ...good.cfg, rank: 'four' } } as unknown as RunRecord);
    await repo.save({ ...good, id: 'cut', created: '2099-01-02', epochs: [{ epoch: 0 }], steps: undefined } as unknown as RunRecord);
    const r = await repo.listChecked();
    expect(r.runs.map((x) => x.id)).toEqual([id]);
    expect(r.corrupt).toEqual([
      "saved run 'broken': field 'cfg.rank' must be a positive integer, got \"four\"",
      "saved run 'cut': field 'steps' is missing",
    ]);
    await s.actions.refreshRuns();
    expect(s.store.getState().runs.map((x) => x.id)).toEqual([id]);
    expect(s.store.getState().notice).toBe("skipped 2 saved runs that could not be read: saved run 'broken': field 'cfg.rank' must be a positive integer, got \"four\"");
    s.store.setState({ notice: undefined });
    await s.actions.refreshRuns();
    expect(s.store.getState().notice).toBeUndefined();

    await repo.saveTensors(id, { 'prompt.B': { dtype: 'float32', shape: [3, 4], data: new Float32Array(2) } });
    await s.actions.openRun(id);
    expect(s.store.getState().notice).toBe(`cannot open ${good.name}: saved tensors of run '${id}': field '["prompt.B"]' must be a tensor whose data fills its shape and dtype, got {"dtype":"float32","shape":[3,4],"data"…`);
  });
});
