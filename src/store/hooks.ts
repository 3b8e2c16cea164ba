// React bindings of the studio store: a context carrying the store and its actions, and selector hooks.
import { createContext, useContext, useEffect, useState } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { announcement, worthSaying } from './announce.ts';
import { settingProblems } from './limits.ts';
import type { StudioState } from './state.ts';
import type { Studio, StudioActions } from './studio.ts';

export const StudioContext = createContext<Studio | null>(null);

function useStudioContext(): Studio {
  const s = useContext(StudioContext);
  if (!s) throw new Error('StudioContext is missing');
  return s;
}

/** Subscribes to a slice of the state (re-renders when the selected value changes). */
export function useStudio<T>(selector: (s: StudioState) => T): T {
  return useStore(useStudioContext().store, selector);
}

/** What is wrong with the settings for this data and device, by field label (limits.ts), re-rendering only when a
 * problem changes. */
export function useSettingProblems(): Record<string, string> {
  return useStore(useStudioContext().store, useShallow(settingProblems));
}

/** The latest sentence about the run (announce.ts) and how many were said, for a polite live region. */
export function useAnnouncement(): { text: string; n: number } {
  const { store } = useStudioContext();
  const [said, setSaid] = useState({ text: '', n: 0 });
  useEffect(() => {
    let lastEpochAt = -Infinity;
    return store.subscribe((st, prev) => {
      if (st.run === prev.run) return;
      const text = announcement(prev.run, st.run, st.cfg.epochs), now = Date.now();
      if (!text || !worthSaying(text, now, lastEpochAt)) return;
      if (text.startsWith('Epoch ')) lastEpochAt = now;
      setSaid((s) => ({ text, n: s.n + 1 }));
    });
  }, [store]);
  return said;
}

export function useActions(): StudioActions {
  return useStudioContext().actions;
}
