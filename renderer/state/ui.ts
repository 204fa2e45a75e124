import { create } from 'zustand';
import type { ScreenId } from '../app/screens';

/** UI state only (HOUSE rule 7): which screen, which tenant, what to announce. Server data lives in TanStack Query. */
interface UiState {
  screen: ScreenId;
  tenant: string | null;
  announcement: { text: string; at: number } | null;
  show(screen: ScreenId): void;
  selectTenant(tenant: string): void;
  announce(text: string): void;
}

export const useUi = create<UiState>((set) => ({
  screen: 'trial',
  tenant: null,
  announcement: null,
  show: (screen) => set({ screen }),
  selectTenant: (tenant) => set({ tenant }),
  announce: (text) => set({ announcement: { text, at: Date.now() } }),
}));
