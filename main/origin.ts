/** The console's own origin: the only page allowed to call the contract (HOUSE rule 3). */
export const APP_SCHEME = 'app';
export const APP_HOST = 'console';
export const APP_ENTRY_URL = `${APP_SCHEME}://${APP_HOST}/index.html`;

/** True for URLs on `app://console/`. Compares parts because `URL.origin` is "null" for custom schemes. */
export function isAppUrl(raw: string): boolean {
  try {
    const url = new URL(raw);
    return url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === '' && url.password === '';
  } catch {
    return false;
  }
}
