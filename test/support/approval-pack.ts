import path from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The approval tests' command: `echo cavra-needs-approval <words>` needs a reviewer on the
 * security route (test/support/approval-pack.yaml, rule test.needs-approval), inside the
 * sandbox or not, and prints its words once approved. Inline interpreter code used to be that
 * command; inside the sandbox it now runs with a warning.
 */
export const APPROVAL_PACK = path.join(path.dirname(fileURLToPath(import.meta.url)), 'approval-pack.yaml');
export const APPROVAL_PACK_ID = 'test-approvals';
export const APPROVAL_RULE = 'test.needs-approval';
export const needsApproval = (...words: string[]): string[] => ['echo', 'cavra-needs-approval', ...words];

/** The CLI invocations that install and assign the pack in the signed-in tenant. */
export const installApprovalPackArgs: readonly (readonly string[])[] = [
  ['policy', 'import', APPROVAL_PACK, '--install'],
  ['policy', 'assign', APPROVAL_PACK_ID],
];
