// The studio's form and choices across reloads (localStorage, one versioned key): the settings, the backbone
// (its catalogue URL or the sha256 of a dropped file cached in IndexedDB) and the data source (the demo, or the
// name of a dropped folder, which browsers cannot hand back: the studio asks for it again). A memory version
// serves tests. What is read back is checked field by field (readSavedSettings).
import type { TrainConfig } from '../engine/config.ts';
import * as v from 'valibot';
import { parseJson } from '../io/json.ts';
import { trainConfigEntries } from '../io/schemas/manifest.ts';
import { savedBackboneSchema, savedDataSchema } from '../io/schemas/studio.ts';

export interface SavedSettings {
  version: 1;
  cfg: TrainConfig;
  gpuBudgetMiB?: number;
  backbone?: { name: string; sha256: string; url?: string; inputSize?: number };
  data?: { kind: 'demo' } | { kind: 'folder'; name: string };
}

export interface SettingsStore { load(): SavedSettings | undefined; save(s: SavedSettings): void }

const KEY = 'vps/v1/settings';

export function localSettings(storage: Pick<Storage, 'getItem' | 'setItem'> = localStorage): SettingsStore {
  return {
    load() {
      try { return readSavedSettings(storage.getItem(KEY)); } catch { return undefined; }
    },
    save(s) { try { storage.setItem(KEY, JSON.stringify(s)); } catch { /* private mode or full: settings are a convenience */ } },
  };
}

export function memorySettings(): SettingsStore & { saved: SavedSettings | undefined } {
  const m = { saved: undefined as SavedSettings | undefined, load: () => m.saved && structuredClone(m.saved), save: (s: SavedSettings) => { m.saved = structuredClone(s); } };
  return m;
}

/** The saved form, or undefined when there is none or it is not one; fields that fail their check are left out. */
export function readSavedSettings(text: string | null): SavedSettings | undefined {
  let raw: unknown;
  try { raw = parseJson(text ?? 'null', 'saved settings', { maxBytes: 2 ** 20 }); } catch { return undefined; }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return undefined;
  const r = raw as Record<string, unknown>;
  if (r.version !== 1 || !r.cfg || typeof r.cfg !== 'object' || Array.isArray(r.cfg)) return undefined;
  const cfg: Partial<TrainConfig> = {};
  const entries: Record<string, v.GenericSchema> = trainConfigEntries;
  for (const [k, value] of Object.entries(r.cfg as Record<string, unknown>)) {
    const schema = Object.hasOwn(entries, k) ? entries[k] : undefined;
    if (schema && value !== undefined && v.is(schema, value)) (cfg as Record<string, unknown>)[k] = value;
  }
  const out: SavedSettings = { version: 1, cfg: cfg as TrainConfig };
  if (v.is(v.pipe(v.number(), v.finite(), v.gtValue(0)), r.gpuBudgetMiB)) out.gpuBudgetMiB = r.gpuBudgetMiB as number;
  if (v.is(savedBackboneSchema, r.backbone)) out.backbone = r.backbone as SavedSettings['backbone'];
  if (v.is(savedDataSchema, r.data)) out.data = r.data as SavedSettings['data'];
  return out;
}
