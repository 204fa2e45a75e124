import type { Handler, OsUser } from '../contract';
import { ContractError } from '../contract';
import { AgentCredentials } from './credentials';
import type { AgentCredential } from './credentials';

export interface EnrolmentDeps {
  agents: AgentCredentials;
  /** Record, then apply (HOUSE rule 14): commits a config_change record, then runs `apply`. */
  change<T>(tenant: string, payload: Record<string, unknown>, apply: () => T): T;
  /** The OS user the adapters will run as: the gate tells a human actor from an agent by it. */
  owner: () => OsUser;
}

/**
 * Agent enrolment (SPEC §4, §7): a person with authority in a tenant issues a credential that
 * binds this install's adapters to that tenant. The enrolment is evidence before the credential
 * exists, so no adapter ever acts on a credential the ledger does not show.
 */
/** Enrols an agent principal in `tenant`: the enrolment is recorded, then the credential exists. */
export function enrolAgent(
  deps: EnrolmentDeps,
  tenant: string,
  label: string,
  by: string,
): { credential: AgentCredential; token: string } {
  const minted = AgentCredentials.mint();
  const owner = deps.owner();
  const payload = { change: 'agent.enrolled', by, credential: minted.id, label, owner };
  return deps.change(tenant, payload, () => deps.agents.issue(tenant, label, owner, by, minted));
}

/** Revokes one of `tenant`'s agent credentials (recorded first); false when it already was. */
export function revokeAgent(deps: EnrolmentDeps, tenant: string, id: string, by: string): boolean {
  // Another tenant's credential looks the same as one that does not exist.
  const current = deps.agents.list(tenant).find((entry) => entry.id === id);
  if (!current) {
    throw new ContractError(
      'not_found',
      `credentialId: no agent credential ${id} in tenant "${tenant}"`,
      'credentialId',
    );
  }
  if (current.revokedAt !== null) return false;
  const payload = { change: 'agent.revoked', by, credential: current.id, label: current.label };
  return deps.change(tenant, payload, () => deps.agents.revoke(current.id));
}

export function enrolmentHandlers(deps: EnrolmentDeps): {
  'agents.enroll': Handler<'agents.enroll'>;
  'agents.list': Handler<'agents.list'>;
  'agents.revoke': Handler<'agents.revoke'>;
} {
  return {
    'agents.enroll': (ctx, input) => {
      const issued = enrolAgent(deps, ctx.tenant, input.label, ctx.principal.id);
      const listed = deps.agents.list(ctx.tenant).find((entry) => entry.id === issued.credential.id);
      if (!listed) throw new Error('the enrolled credential is not in the registry');
      return { ...listed, token: issued.token };
    },
    'agents.list': (ctx) => ({ agents: deps.agents.list(ctx.tenant) }),
    'agents.revoke': (ctx, input) => ({
      revoked: revokeAgent(deps, ctx.tenant, input.credentialId, ctx.principal.id),
    }),
  };
}
