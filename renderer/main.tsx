import { createContractClient } from '../core/contract';
import type { Transport } from '../core/contract';
import { mount } from './app/mount';

// Production entry: the preload script exposes the only way out of the renderer.
declare global {
  interface Window {
    cavra?: Transport;
  }
}

const root = document.getElementById('root');
if (root && window.cavra) {
  mount(root, createContractClient(window.cavra));
} else if (root) {
  root.textContent = 'The console bridge is missing: start CAVRA through the desktop app.';
}
