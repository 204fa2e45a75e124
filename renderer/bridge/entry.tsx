import { createContractClient } from '../../core/contract';
import { mount } from '../app/mount';
import { createBridgeTransport } from './transport';

// The host prints a URL with `#token=…`; the fragment never reaches a server log.
const TOKEN_KEY = 'cavra.bridge.token';
const fromHash = new URLSearchParams(window.location.hash.slice(1)).get('token');
if (fromHash) {
  sessionStorage.setItem(TOKEN_KEY, fromHash);
  history.replaceState(null, '', window.location.pathname);
}
const token = sessionStorage.getItem(TOKEN_KEY);
const root = document.getElementById('root');
if (root && token) {
  mount(root, createContractClient(createBridgeTransport({ baseUrl: window.location.origin, token })));
} else if (root) {
  root.textContent =
    'Open the console with the full URL that "npm run start:browser" printed (it carries the access token).';
}
