import type { z } from 'zod';
import type { Role } from './roles';
import type { EnterpriseFeature } from './features';

/** Install-wide roles, held outside any tenant (creating tenants, for example). */
export type InstallRole = 'install_admin';

interface OperationBase<I extends z.ZodType, O extends z.ZodType> {
  description: string;
  input: I;
  output: O;
  /** State-changing operations are audited. */
  mutates?: boolean;
  /**
   * A configuration change: its evidence record commits before it takes effect, and a
   * record that cannot be written leaves the configuration as it was (HOUSE rule 14). A
   * fault test runs every operation marked so against a failing ledger.
   */
  configuration?: true;
  /**
   * An Enterprise workflow: the dispatcher refuses it (code `license_required`) unless the
   * tenant's entitlement enables this feature. The enforcement core names none.
   */
  feature?: EnterpriseFeature;
  /**
   * Reads or runs what is on the machine the core runs on: a directory the person picked, the
   * project directories named, the trial's scripted workflow. Served by the core on the
   * person's own machine; the control plane refuses it over HTTPS, where those paths would be
   * the server's (a remote caller could make it read or run whatever is on the server).
   */
  machineLocal?: true;
}

/** An operation on one tenant: the caller must hold one of `roles` in that tenant. */
export interface TenantOperation<
  I extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
> extends OperationBase<I, O> {
  scope: 'tenant';
  roles: readonly Role[];
  /**
   * Governs the agents rather than using the console: deciding approvals, changing policy,
   * MCP trust, retention, keys, connectors, SSO and roles. Agent principals can never call
   * one (the governed never governs); the local evaluation identity cannot where SSO is set up.
   */
  authority?: true;
}

/**
 * An operation on the installation: any authenticated caller, or only holders of
 * `installRoles` when given. Results must still be filtered to the caller's tenants.
 */
export interface InstallOperation<
  I extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
> extends OperationBase<I, O> {
  scope: 'install';
  installRoles?: readonly InstallRole[];
  /** As for tenant operations: refused to agents whatever else holds. */
  authority?: true;
  /** Callable before signing in (the sign-in operations themselves); the principal may be null. */
  public?: true;
}

export type OperationSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> =
  TenantOperation<I, O> | InstallOperation<I, O>;

export function defineOperation<I extends z.ZodType, O extends z.ZodType>(
  spec: TenantOperation<I, O>,
): TenantOperation<I, O>;
export function defineOperation<I extends z.ZodType, O extends z.ZodType>(
  spec: InstallOperation<I, O>,
): InstallOperation<I, O>;
export function defineOperation(spec: OperationSpec): OperationSpec {
  return spec;
}

export interface EventSpec<P extends z.ZodType = z.ZodType> {
  description: string;
  payload: P;
  /** Members of the event's tenant holding one of these roles receive it; nobody else does. */
  roles: readonly Role[];
}

export function defineEvent<P extends z.ZodType>(spec: EventSpec<P>): EventSpec<P> {
  return spec;
}
