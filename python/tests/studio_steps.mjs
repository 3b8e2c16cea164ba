#!/usr/bin/env node
// The studio's side of the continue-anywhere chain (test_studio_chain.py): the studio's store wired to a real worker
// Handler in this process (src/store/test-harness.ts), driven through the same actions its buttons call.
//
//   node studio_steps.mjs start  MODEL DATA OUT SETTINGS_JSON   train; stop once the first epoch's checkpoint is out;
//                                                                 export checkpoint.safetensors (Results) to OUT
//   node studio_steps.mjs resume MODEL DATA RUN                  import RUN/checkpoint.safetensors (Saved runs ›
//                                                                 import), resume it to the end, export its files to RUN
// Each writes RUN/studio-steps.json: the per-step losses the studio recorded.
import { register } from 'tsx/esm/api';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';

register();
const { backToBack, notFound, until } = await import('../../src/store/test-harness.ts');
const { createStudio } = await import('../../src/store/studio.ts');
const { memoryRepo } = await import('../../src/persist/runs.ts');
const { WorkerClient } = await import('../../src/worker/client.ts');

const [cmd, model, data, out, settings] = process.argv.slice(2);

function folder(dir) {
  const files = [];
  const walk = (d, rel) => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.isDirectory()) walk(join(d, e.name), `${rel}/${e.name}`);
      else files.push({ path: `${rel}/${e.name}`, blob: new Blob([readFileSync(join(d, e.name))]) });
    }
  };
  walk(dir, basename(dir));
  return files;
}

const fail = (what) => { process.stderr.write(`studio_steps ${cmd}: ${what}\n`); process.exit(1); };
const client = new WorkerClient(backToBack());
const s = Object.assign(createStudio({ client, repo: memoryRepo(), fetch: notFound, versions: { 'vp-studio': 'test' } }), { client });
const state = () => s.store.getState();
await s.actions.boot({ preload: false });
await s.actions.loadBackboneFile(basename(model), new Uint8Array(readFileSync(model)));
await s.actions.loadFiles(basename(data), folder(data));
if (state().backbone.status !== 'ready') fail(`backbone: ${state().backbone.error ?? state().notice}`);
mkdirSync(out, { recursive: true });
const save = (f) => writeFileSync(join(out, f.name), f.bytes);

if (cmd === 'start') {
  s.actions.setCfg(JSON.parse(settings));
  await s.actions.refreshPlan();
  const off = s.client.on((m) => { if (m.type === 'checkpoint') { off(); s.actions.stop(); } });
  const id = await s.actions.start();
  if (!id) fail(`did not start: ${state().notice}`);
  await until(s, (x) => x.run.phase === 'stopped' || x.run.phase === 'error');
  await until(s, (x) => x.runs.some((r) => r.id === id && r.status === 'stopped'));
  await s.actions.openRun(id);
  save(await s.actions.exportCheckpoint());
  const rec = state().runs.find((r) => r.id === id);
  writeFileSync(join(out, 'studio-steps.json'), JSON.stringify(rec.steps.map((p) => ({ step: p.step, loss: p.loss }))));
} else if (cmd === 'resume') {
  await s.actions.importRun([{ name: 'checkpoint.safetensors', bytes: new Uint8Array(readFileSync(join(out, 'checkpoint.safetensors'))) }]);
  const rec = state().runs[0];
  if (!rec || rec.status !== 'stopped') fail(`import: ${state().notice}`);
  process.stderr.write(`${state().notice}\n`);
  await s.actions.resumeRun(rec.id);
  if (state().notice?.startsWith('cannot resume')) fail(state().notice);
  await until(s, (x) => x.run.phase === 'done' || x.run.phase === 'error' || x.run.phase === 'diverged');
  if (state().run.phase !== 'done') fail(`run ended ${state().run.phase}: ${state().run.error}`);
  await until(s, (x) => x.runs.some((r) => r.id === rec.id && r.status === 'done'));
  await s.actions.openRun(rec.id);
  save(s.actions.exportPrompt());
  save(s.actions.exportManifest());
  const done = state().runs.find((r) => r.id === rec.id);
  writeFileSync(join(out, 'studio-steps.json'), JSON.stringify(done.steps.map((p) => ({ step: p.step, loss: p.loss }))));
} else fail('usage: start MODEL DATA OUT SETTINGS_JSON | resume MODEL DATA RUN');
process.exit(0);
