import { create } from 'zustand';
import type { ScreenId } from '../app/screens';
import { formatRoute, homeRoute } from '../app/route';
import type { Route } from '../app/route';

type Filters = Readonly<Record<string, string>>;

/** What the Evidence screen was opened to show: the records behind a finding, or a handful of records. */
export type EvidenceFocus =
  { kind: 'finding'; findingId: string; title: string } | { kind: 'records'; seqs: number[]; title: string };

/**
 * UI state only (HOUSE rule 7): where the console is (the route, mirrored in the address
 * bar so a reload restores it), what to announce, and where focus should go after a move.
 * Server data lives in TanStack Query.
 */
interface UiState {
  route: Route;
  /** `route.screen` and `route.tenant`, for the many components that need only these. */
  screen: ScreenId;
  tenant: string | null;
  /** Bumped when a navigation should move focus to the screen's heading. */
  focusRequest: number;
  announcement: { text: string; at: number } | null;
  /** The records another screen (AISPM, Operating reviews) sent the Evidence screen to show. */
  evidenceFocus: EvidenceFocus | null;
  /** Opens a screen (a new history entry); `focus` moves focus to its heading. */
  show(screen: ScreenId, options?: { item?: string | null; filters?: Filters; focus?: boolean }): void;
  /** Opens or closes the screen's item (a record, a request): a new history entry unless `replace`. */
  open(item: string | null, options?: { replace?: boolean }): void;
  /** Changes the screen's filters in place (no new history entry); an empty value removes one. */
  setFilters(patch: Filters): void;
  selectTenant(tenant: string, options?: { replace?: boolean }): void;
  /** The address changed (back, forward, a pasted link): adopt it without writing it back. */
  adopt(route: Route): void;
  announce(text: string): void;
  /** Opens the Evidence screen on these records. */
  showEvidence(focus: EvidenceFocus): void;
  clearEvidenceFocus(): void;
}

function write(route: Route, mode: 'push' | 'replace'): void {
  if (typeof window === 'undefined') return;
  const hash = formatRoute(route);
  if (window.location.hash === hash) return;
  // The hash alone changes, so pushState keeps the page; hashchange does not fire for it.
  window.history[mode === 'push' ? 'pushState' : 'replaceState'](null, '', hash);
}

export const useUi = create<UiState>((set, get) => {
  const go = (route: Route, mode: 'push' | 'replace', focus = false) => {
    set((state) => ({
      route,
      screen: route.screen,
      tenant: route.tenant,
      focusRequest: focus ? state.focusRequest + 1 : state.focusRequest,
      // A focus belongs to the Evidence screen of its tenant: leaving either drops it.
      evidenceFocus: route.screen === 'evidence' && route.tenant === state.tenant ? state.evidenceFocus : null,
    }));
    write(route, mode);
  };
  return {
    route: homeRoute,
    screen: homeRoute.screen,
    tenant: homeRoute.tenant,
    focusRequest: 0,
    announcement: null,
    evidenceFocus: null,
    show: (screen, options = {}) =>
      go(
        { screen, tenant: get().route.tenant, item: options.item ?? null, filters: options.filters ?? {} },
        'push',
        options.focus ?? false,
      ),
    open: (item, options = {}) => go({ ...get().route, item }, options.replace ? 'replace' : 'push'),
    setFilters: (patch) => {
      const filters: Record<string, string> = { ...get().route.filters };
      for (const [key, value] of Object.entries(patch)) {
        if (value) filters[key] = value;
        else delete filters[key];
      }
      go({ ...get().route, filters }, 'replace');
    },
    // An item belongs to its tenant (record 42 of another tenant is another record), so it closes.
    selectTenant: (tenant, options = {}) =>
      go({ ...get().route, tenant, item: null }, options.replace ? 'replace' : 'push'),
    adopt: (route) =>
      set((state) => ({
        route,
        screen: route.screen,
        tenant: route.tenant,
        evidenceFocus: route.screen === 'evidence' && route.tenant === state.tenant ? state.evidenceFocus : null,
      })),
    showEvidence: (focus) => {
      go({ screen: 'evidence', tenant: get().route.tenant, item: null, filters: {} }, 'push', true);
      set({ evidenceFocus: focus });
    },
    clearEvidenceFocus: () => set({ evidenceFocus: null }),
    announce: (text) => set({ announcement: { text, at: Date.now() } }),
  };
});
