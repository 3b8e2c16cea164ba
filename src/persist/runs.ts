// Saved runs and cached backbones in IndexedDB (idb-keyval), under versioned keys:
//   vps/v1/run/<id>       RunRecord (settings, classes, backbone identity, metrics, evaluation) — written as it goes
//   vps/v1/tensors/<id>   the trained tensors (+ mapping) of a finished or stopped run
//   vps/v1/checkpoint/<id> the last end-of-epoch checkpoint (tensors, optimiser state, rng), to resume a run
//   vps/v1/backbone/<sha> bytes of a dropped or downloaded backbone (and its external data files, if it has any),
//                         so saved runs can be exported after a reload
//   vps/v1/backbone/url:<url>  the sha256 of a downloaded catalogue backbone (so it downloads once)
//   vps/v1/webcam         frames collected from the webcam, by class
// Records read back are checked (records.ts): a corrupt run is reported and skipped, the others still load.
// A memory implementation of the same interface serves tests in Node.
import { createStore, del, entries, get, set, type UseStore } from 'idb-keyval';
import type { BackboneInfo } from '../engine/compile.ts';
import type { TrainConfig } from '../engine/config.ts';
import type { EpochMetrics } from '../engine/trainer.ts';
import type { ExternalFile } from '../onnx/external.ts';
import { checkRunRecord, checkRunTensors } from './records.ts';
import type { EvaluationSummary, SampleImage, SkippedFile, WireCheckpoint, WireTensor } from '../worker/protocol.ts';

export const KEY_VERSION = 'v1';
const K = { run: (id: string) => `vps/${KEY_VERSION}/run/${id}`, tensors: (id: string) => `vps/${KEY_VERSION}/tensors/${id}`, checkpoint: (id: string) => `vps/${KEY_VERSION}/checkpoint/${id}`, backbone: (sha: string) => `vps/${KEY_VERSION}/backbone/${sha}` };

export type RunStatus = 'running' | 'done' | 'stopped' | 'diverged' | 'error' | 'interrupted';

export interface StepPoint { step: number; epoch: number; loss: number; lr: number; ips: number; t: number }

export interface RunRecord {
  id: string;
  name: string;
  created: string;
  status: RunStatus;
  error?: string;
  /** The run this one continued (trained further from its tensors). */
  parent?: string;
  cfg: TrainConfig;
  classes: string[];
  backbone: { name: string; sha256: string; info: BackboneInfo; url?: string };
  data: { name: string; train: number; val: number; skipped: SkippedFile[] };
  trainable: number;
  backend: string;
  totalSteps: number;
  steps: StepPoint[];
  epochs: EpochMetrics[];
  mapping?: number[];
  evaluation?: EvaluationSummary;
  /** A couple of validation images at the backbone's size, for the prompt pictures. */
  samples?: SampleImage[];
  seconds: number;
  /** An imported run's figures from its manifest's `final` (it brings no per-epoch metrics): epochs, val accuracy. */
  imported?: { epochs: number; valAcc: number | null; bestValAcc: number | null };
}

export interface WebcamFrame { id: string; cls: string; blob: Blob }

/** A cached backbone: the model file and, for a model with external data, its data files. */
export interface StoredBackbone { name: string; bytes: Uint8Array; externalData?: ExternalFile[] }

export interface RunsRepo {
  list(): Promise<RunRecord[]>;
  /** The saved runs that read back whole, and one line for each record that did not (skipped). */
  listChecked(): Promise<{ runs: RunRecord[]; corrupt: string[] }>;
  save(r: RunRecord): Promise<void>;
  saveTensors(id: string, t: Record<string, WireTensor>): Promise<void>;
  tensors(id: string): Promise<Record<string, WireTensor> | undefined>;
  saveCheckpoint(id: string, c: WireCheckpoint): Promise<void>;
  checkpoint(id: string): Promise<WireCheckpoint | undefined>;
  remove(id: string): Promise<void>;
  saveBackbone(sha: string, name: string, bytes: Uint8Array, externalData?: ExternalFile[]): Promise<void>;
  /** Webcam frames collected in the studio, by class (saved with the project's data, removable one by one). */
  webcamFrames(): Promise<WebcamFrame[]>;
  saveWebcamFrames(frames: WebcamFrame[]): Promise<void>;
  /** Makes `alias` (e.g. "url:<download URL>") another key of a stored backbone. */
  linkBackbone(alias: string, sha: string): Promise<void>;
  /** A stored backbone by sha256 or alias. */
  backbone(key: string): Promise<StoredBackbone | undefined>;
}

const stored = (name: string, bytes: Uint8Array, externalData: ExternalFile[] | undefined): StoredBackbone =>
  (externalData?.length ? { name, bytes, externalData } : { name, bytes });

const byCreated = (a: RunRecord, b: RunRecord) => b.created.localeCompare(a.created);

/** Stored records checked one by one (records.ts): the whole ones sorted, a line for each corrupt one. */
function checked(stored: [string, unknown][]): { runs: RunRecord[]; corrupt: string[] } {
  const runs: RunRecord[] = [], corrupt: string[] = [];
  for (const [id, v] of stored) {
    try { runs.push(checkRunRecord(id, v)); } catch (e) { corrupt.push(e instanceof Error ? e.message : String(e)); }
  }
  return { runs: runs.sort(byCreated), corrupt };
}

export function idbRepo(store: UseStore = createStore('vp-studio', 'kv')): RunsRepo {
  const listChecked = async () => {
    const all = await entries<IDBValidKey, unknown>(store);
    const prefix = K.run('');
    return checked(all.flatMap(([k, v]) => (typeof k === 'string' && k.startsWith(prefix) ? [[k.slice(prefix.length), v] as [string, unknown]] : [])));
  };
  return {
    list: async () => (await listChecked()).runs,
    listChecked,
    save: (r) => set(K.run(r.id), r, store),
    saveTensors: (id, t) => set(K.tensors(id), t, store),
    tensors: async (id) => { const t = await get<unknown>(K.tensors(id), store); return t === undefined ? undefined : checkRunTensors(id, t); },
    saveCheckpoint: (id, c) => set(K.checkpoint(id), c, store),
    checkpoint: (id) => get<WireCheckpoint>(K.checkpoint(id), store),
    async remove(id) { await del(K.run(id), store); await del(K.tensors(id), store); await del(K.checkpoint(id), store); },
    saveBackbone: (sha, name, bytes, externalData) => set(K.backbone(sha), stored(name, bytes, externalData), store),
    webcamFrames: async () => (await get<WebcamFrame[]>(`vps/${KEY_VERSION}/webcam`, store)) ?? [],
    saveWebcamFrames: (frames) => set(`vps/${KEY_VERSION}/webcam`, frames, store),
    linkBackbone: (alias, sha) => set(K.backbone(alias), sha, store),
    async backbone(key) {
      const v = await get<StoredBackbone | string>(K.backbone(key), store);
      return typeof v === 'string' ? get<StoredBackbone>(K.backbone(v), store) : v;
    },
  };
}

export function memoryRepo(): RunsRepo {
  const runs = new Map<string, RunRecord>();
  const tensors = new Map<string, Record<string, WireTensor>>();
  const checkpoints = new Map<string, WireCheckpoint>();
  const backbones = new Map<string, StoredBackbone | string>();
  let webcam: WebcamFrame[] = [];
  return {
    list: async () => checked([...runs].map(([id, r]) => [id, structuredClone(r)])).runs,
    listChecked: async () => checked([...runs].map(([id, r]) => [id, structuredClone(r)])),
    save: async (r) => { runs.set(r.id, structuredClone(r)); },
    saveTensors: async (id, t) => { tensors.set(id, t); },
    tensors: async (id) => { const t = tensors.get(id); return t === undefined ? undefined : checkRunTensors(id, t); },
    saveCheckpoint: async (id, c) => { checkpoints.set(id, c); },
    checkpoint: async (id) => checkpoints.get(id),
    remove: async (id) => { runs.delete(id); tensors.delete(id); checkpoints.delete(id); },
    saveBackbone: async (sha, name, bytes, externalData) => { backbones.set(sha, stored(name, bytes, externalData)); },
    webcamFrames: async () => [...webcam],
    saveWebcamFrames: async (frames) => { webcam = [...frames]; },
    linkBackbone: async (alias, sha) => { backbones.set(alias, sha); },
    backbone: async (key) => { const v = backbones.get(key); return typeof v === 'string' ? (backbones.get(v) as StoredBackbone | undefined) : v; },
  };
}
