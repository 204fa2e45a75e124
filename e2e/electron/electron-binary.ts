export { electronBinary } from '../../scripts/electron-binary.mjs';

export const NO_ELECTRON_MESSAGE =
  'Electron binary not installed (electron could not download it on this machine); the Electron tier is skipped. ' +
  'The same console is covered in e2e/browser through the browser-mode host.';
