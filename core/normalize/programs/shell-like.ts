import type { ProgramSpec } from './spec';

/**
 * `source FILE` and `.` run a file's commands in the current shell: the normalizer reads the
 * file as a script (commands.ts), and the policy's `code_from` reads where the code comes from
 * as it does for a shell. Their argument is that script, read as one, so it is not tainted.
 */
export const SOURCE_SPEC: ProgramSpec = { names: ['source', '.'], shellCode: true, untainted: true };

/**
 * busybox and toybox are many programs in one: `busybox sh`, `toybox wget` run that applet, and
 * the normalizer reads the applet as the program it is (commands.ts). Run with words that name
 * no applet, busybox is judged as a shell would be, so it never passes for a harmless program.
 */
export const MULTI_CALL_SPEC: ProgramSpec = { names: ['busybox', 'toybox'], multiCall: true, shellCode: true };
