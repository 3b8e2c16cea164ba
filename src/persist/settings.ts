// The studio's form and choices across reloads (localStorage, one versioned key): the settings, the backbone
// (its catalogue URL or the sha256 of a dropped file cached in IndexedDB) and the data source (the demo, or the
// name of a dropped folder, which browsers cannot hand back: the studio asks for it again). A memory version
// serves tests.
import type { TrainConfig } from '../engine/config.ts';

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
      try {
        const v = JSON.parse(storage.getItem(KEY) ?? 'null') as SavedSettings | null;
        return v && v.version === 1 && v.cfg && typeof v.cfg === 'object' ? v : undefined;
      } catch { return undefined; }
    },
    save(s) { try { storage.setItem(KEY, JSON.stringify(s)); } catch { /* private mode or full: settings are a convenience */ } },
  };
}

export function memorySettings(): SettingsStore & { saved: SavedSettings | undefined } {
  const m = { saved: undefined as SavedSettings | undefined, load: () => m.saved && structuredClone(m.saved), save: (s: SavedSettings) => { m.saved = structuredClone(s); } };
  return m;
}
