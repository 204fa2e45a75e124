import { screens } from './screens';
import type { ScreenId } from './screens';

/**
 * Where the console is: the screen, the tenant, one item the screen opens (a record, an
 * approval request, a finding, a pack) and the screen's filters. It lives in the address
 * (`#/evidence/42?tenant=acme&type=decision`), so a reload or a shared link restores it.
 */
export interface Route {
  screen: ScreenId;
  tenant: string | null;
  item: string | null;
  filters: Readonly<Record<string, string>>;
}

export const homeRoute: Route = { screen: screens[0].id, tenant: null, item: null, filters: {} };

const MAX_VALUE = 512;
const MAX_FILTERS = 20;

function isScreen(value: string): value is ScreenId {
  return screens.some((screen) => screen.id === value);
}

/**
 * Reads a hash such as `#/approvals/apr_…?tenant=acme&view=decided`. Anything that is not
 * a route (an unknown screen, the bridge's `#token=`) gives null; oversized values are
 * dropped rather than trusted, since links can come from anywhere.
 */
export function parseRoute(hash: string): Route | null {
  const text = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!text.startsWith('/')) return null;
  const queryAt = text.indexOf('?');
  const pathPart = queryAt === -1 ? text : text.slice(0, queryAt);
  const query = new URLSearchParams(queryAt === -1 ? '' : text.slice(queryAt + 1));
  const [screenPart = '', ...rest] = pathPart.slice(1).split('/');
  let screen: string;
  let item: string | null;
  try {
    screen = decodeURIComponent(screenPart);
    item = rest.length > 0 && rest.join('/') !== '' ? decodeURIComponent(rest.join('/')) : null;
  } catch {
    return null;
  }
  if (!isScreen(screen)) return null;
  if (item !== null && item.length > MAX_VALUE) item = null;
  const filters: Record<string, string> = {};
  let tenant: string | null = null;
  for (const [key, value] of query) {
    if (value === '' || value.length > MAX_VALUE || key.length > 64) continue;
    if (key === 'tenant') tenant = value;
    else if (Object.keys(filters).length < MAX_FILTERS) filters[key] = value;
  }
  return { screen, tenant, item, filters };
}

/** The hash for a route: tenant first, then the filters in a stable order. */
export function formatRoute(route: Route): string {
  const query = new URLSearchParams();
  if (route.tenant) query.set('tenant', route.tenant);
  for (const key of Object.keys(route.filters).sort()) {
    const value = route.filters[key];
    if (value) query.set(key, value);
  }
  const item = route.item === null ? '' : `/${encodeURIComponent(route.item)}`;
  const search = query.toString();
  return `#/${route.screen}${item}${search ? `?${search}` : ''}`;
}

/** A deep link to one thing in one tenant: an evidence record, an approval request, a finding. */
export function linkTo(screen: ScreenId, tenant: string, item: string | number, filters: Record<string, string> = {}) {
  return formatRoute({ screen, tenant, item: String(item), filters });
}
