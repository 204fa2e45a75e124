import { create } from 'zustand';

/** Operator preferences (UI state): single-key shortcuts can be turned off (WCAG 2.1.4). */
interface Preferences {
  shortcuts: boolean;
  setShortcuts(on: boolean): void;
}

export const usePreferences = create<Preferences>((set) => ({
  shortcuts: true,
  setShortcuts: (shortcuts) => set({ shortcuts }),
}));
