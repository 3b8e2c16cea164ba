// React bindings of the studio store: a context carrying the store and its actions, and selector hooks.
import { createContext, useContext } from 'react';
import { useStore } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
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

export function useActions(): StudioActions {
  return useStudioContext().actions;
}
