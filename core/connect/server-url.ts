import net from 'node:net';

/** Why a control-plane address was refused, naming the field and what to do. */
export class ServerUrlError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ServerUrlError';
  }
}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** 127.0.0.0/8, ::1 and `localhost`: traffic that never leaves this machine. */
export function isLoopbackHost(hostname: string): boolean {
  if (LOOPBACK_NAMES.has(hostname)) return true;
  return net.isIPv4(hostname) && hostname.startsWith('127.');
}

/**
 * The control plane's base URL. HTTPS only: the machine credential and every evidence record
 * travel over it. Plain http is accepted for a loopback address alone (a server on this
 * machine, as the tests run it), where nothing crosses a network. No credentials, query or
 * fragment in the address: they would end up in logs and in the connection file.
 */
export function parseServerUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new ServerUrlError(
      `server: "${text}" is not a URL; give the control plane's address, e.g. https://cavra.example.com`,
    );
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopbackHost(url.hostname))) {
    throw new ServerUrlError(
      `server: ${url.protocol}// is refused; the control plane must be reached over https:// (plain http only to a loopback address)`,
    );
  }
  if (url.username || url.password)
    throw new ServerUrlError('server: the address must not carry a user name or password');
  if (url.search || url.hash) throw new ServerUrlError('server: the address must not carry a query or fragment');
  return url;
}

/** The base URL as stored and shown: origin plus any path prefix, never a trailing slash. */
export function serverBase(url: URL): string {
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`;
}
