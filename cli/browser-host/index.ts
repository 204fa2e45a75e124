export { startBrowserHost } from './host';
export type { BrowserHost, BrowserHostOptions } from './host';
