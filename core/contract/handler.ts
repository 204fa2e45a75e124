import type { OperationName } from './names';
import type { OperationOutput, Operations, ParsedOperationInput } from './operations';
import type { Principal } from './identity';

/*
 * The shape of a contract handler, beside the contract it implements. Capabilities register
 * their own handlers from their folders with these types, so none of them imports the
 * service that wires them (HOUSE rule 16: no import cycles).
 */

export interface CallContext {
  principal: Principal;
  /** The tenant the call is scoped to, already checked against the caller's roles. */
  tenant: string | null;
}

/** Tenant-scoped operations run only after the dispatcher checked the caller's role in `tenant`. */
export interface TenantCallContext extends CallContext {
  tenant: string;
}

/** Operations open before sign-in run with whatever principal the transport has, possibly none. */
export interface PublicCallContext {
  principal: Principal | null;
  tenant: string | null;
}

type ContextOf<K extends OperationName> = Operations[K] extends { scope: 'tenant' }
  ? TenantCallContext
  : Operations[K] extends { public: true }
    ? PublicCallContext
    : CallContext;

export type Handler<K extends OperationName> = (
  ctx: ContextOf<K>,
  input: ParsedOperationInput<K>,
) => Promise<OperationOutput<K>> | OperationOutput<K>;

export type Handlers = { [K in OperationName]: Handler<K> };
