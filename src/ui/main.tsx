// The studio's entry: starts the training worker, builds the store on it and IndexedDB, boots (backend, saved
// runs, bundled starter + demo data) and renders the app. URL flags: ?backend=wasm|webgpu, ?preload=0, ?debug, ?ortlog=verbose, ?threads=N
// (wasm threads; default all cores, at most 4), ?chartms=N (chart refresh while training; default 1000),
// ?ortbuild=plain|jspi|asyncify (the onnxruntime-web build; default: plain for wasm, JSPI or asyncify for WebGPU),
// ?capture=0 (WebGPU steps not graph-captured; ?capture=buffers: fixed GPU buffers without onnxruntime's capture),
// ?debug&fault=<message>&faultafter=N (tests: a run fails on purpose).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import pkg from '../../package.json' with { type: 'json' };
import { idbRepo } from '../persist/runs.ts';
import { localSettings } from '../persist/settings.ts';
import { StudioContext } from '../store/hooks.ts';
import { createStudio } from '../store/studio.ts';
import { WorkerClient } from '../worker/client.ts';
import { App } from './App.tsx';
import { chartSettings } from './Charts.tsx';
import './styles.css';

const params = new URLSearchParams(location.search);
if (params.has('chartms')) chartSettings.refreshMs = Number(params.get('chartms'));
const choice = params.get('backend');
const worker = new Worker(new URL('../worker/worker.ts', import.meta.url), { type: 'module' });
const client = new WorkerClient(worker);
const studio = createStudio({
  client,
  repo: idbRepo(),
  fetch: (url) => fetch(url),
  versions: { 'vp-studio': pkg.version, browser: navigator.userAgent },
  verboseRuntime: params.get('ortlog') === 'verbose',
  threads: params.has('threads') ? Number(params.get('threads')) : undefined,
  settings: localSettings(),
  ortBuild: (['plain', 'jspi', 'asyncify'] as const).find((b) => b === params.get('ortbuild')),
  capture: params.get('capture') === '0' ? 'off' : params.get('capture') === 'buffers' ? 'buffers' : 'on',
  // ?debug&fault=<message>&faultafter=N: the N+1-th step fails with that message (tests of what a failure says)
  fault: params.has('debug') && params.get('fault') ? { message: params.get('fault')!, afterRuns: Number(params.get('faultafter') ?? 0) } : undefined,
});
// ?debug exposes the store and the worker client to automated tests (e2e reads exact losses from the store; the
// browser benchmark calls client.bench).
if (params.has('debug')) Object.assign(window, { __studio: { ...studio, client } });
void studio.actions.boot({ backend: choice === 'wasm' || choice === 'webgpu' ? choice : 'auto', preload: params.get('preload') !== '0' });

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <StudioContext value={studio}>
      <App />
    </StudioContext>
  </StrictMode>,
);
