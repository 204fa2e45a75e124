import { create } from 'zustand';

/**
 * Operator preferences (UI state): single-key shortcuts can be turned off (WCAG 2.1.4).
 * Kept in this origin's local storage so the choice survives a reload.
 */
interface Preferences {
  shortcuts: boolean;
  setShortcuts(on: boolean): void;
}

const KEY = 'cavra.preferences.shortcuts';

function stored(): boolean {
  try {
    return globalThis.localStorage?.getItem(KEY) !== 'off';
  } catch {
    return true;
  }
}

export const usePreferences = create<Preferences>((set) => ({
  shortcuts: stored(),
  setShortcuts: (shortcuts) => {
    try {
      globalThis.localStorage?.setItem(KEY, shortcuts ? 'on' : 'off');
    } catch {
      // Storage may be unavailable (a locked-down profile): the choice then lasts until reload.
    }
    set({ shortcuts });
  },
}));
