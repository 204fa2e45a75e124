import { createContractClient } from '../../core/contract';
import { mount } from '../app/mount';
import { createBridgeTransport } from './transport';

// The host prints a URL with `#token=…`; the fragment never reaches a server log. A route in
// the fragment (`#/evidence/42?tenant=acme&token=…`) keeps working once the token is taken out.
const TOKEN_KEY = 'cavra.bridge.token';
const hash = window.location.hash.slice(1);
const queryAt = hash.startsWith('/') ? hash.indexOf('?') : -1;
const params = new URLSearchParams(hash.startsWith('/') ? (queryAt === -1 ? '' : hash.slice(queryAt + 1)) : hash);
const fromHash = params.get('token');
if (fromHash) {
  sessionStorage.setItem(TOKEN_KEY, fromHash);
  params.delete('token');
  const rest = params.toString();
  const route = hash.startsWith('/')
    ? `#${queryAt === -1 ? hash : hash.slice(0, queryAt)}${rest ? `?${rest}` : ''}`
    : '';
  history.replaceState(null, '', `${window.location.pathname}${route}`);
}
const token = sessionStorage.getItem(TOKEN_KEY);
const root = document.getElementById('root');
if (root && token) {
  mount(root, createContractClient(createBridgeTransport({ baseUrl: window.location.origin, token })));
} else if (root) {
  root.textContent =
    'Open the console with the full URL that "npm run start:browser" printed (it carries the access token).';
}
