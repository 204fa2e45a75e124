import type { OperationSpec, Principal } from '../contract';

export interface AccessRefusal {
  code: 'unauthenticated' | 'forbidden';
  message: string;
}

/**
 * Who may call an operation, beyond the tenant roles the dispatcher checks: the rules that
 * depend on what kind of principal is acting (SPEC §7), in one place.
 * - Agents never call the console contract; above all never an authority operation.
 * - State changes need a sign-in: a caller with no session only reads.
 * - Where a tenant has SSO configured, the local evaluation identity has no authority there.
 */
export function accessRefusal(
  principal: Principal,
  spec: OperationSpec,
  tenant: { id: string; ssoConfigured: boolean } | null,
): AccessRefusal | null {
  if (principal.kind === 'agent') {
    return {
      code: 'forbidden',
      message: spec.authority
        ? 'Agents can never call authority operations (approvals, policy, trust, retention, keys, connectors, access): the governed never governs'
        : 'Agents act only through the runtime gate, not the console',
    };
  }
  if (spec.mutates && !principal.session) {
    const where = tenant ? ` --tenant ${tenant.id}` : '';
    return {
      code: 'unauthenticated',
      message:
        `Sign in first: this changes state and nobody is signed in. Run "cavra login${where}" ` +
        '(or "cavra login --local-evaluation" to act as the labelled local evaluator on an evaluation install)',
    };
  }
  if (spec.authority && principal.kind === 'local_evaluation' && tenant?.ssoConfigured) {
    return {
      code: 'forbidden',
      message: `Tenant "${tenant.id}" has SSO configured: the local evaluation identity cannot perform authority operations there; sign in with "cavra login --tenant ${tenant.id}"`,
    };
  }
  return null;
}
