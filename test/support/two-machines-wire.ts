/** Marks the two-machines control plane's own lines on its stdout (test/support/two-machines-main.ts). */
export const MESSAGE_MARK = '@two-machines ';
