import type { OperationName, OperationOutput, Operations, ParsedOperationInput, Principal } from '../contract';
import type { ShellKind } from './types';
import type { TenantDirectory } from '../tenants';
import type { EventBus } from './events';
import type { JobRunner } from './jobs';

export interface CallContext {
  principal: Principal;
  /** The tenant the call is scoped to, already checked against the caller's roles. */
  tenant: string | null;
}

/** Tenant-scoped operations run only after the dispatcher checked the caller's role in `tenant`. */
export interface TenantCallContext extends CallContext {
  tenant: string;
}

type ContextOf<K extends OperationName> = Operations[K] extends { scope: 'tenant' } ? TenantCallContext : CallContext;

export type Handler<K extends OperationName> = (
  ctx: ContextOf<K>,
  input: ParsedOperationInput<K>,
) => Promise<OperationOutput<K>> | OperationOutput<K>;

export type Handlers = { [K in OperationName]: Handler<K> };

export interface HandlerDeps {
  tenants: TenantDirectory;
  events: EventBus;
  jobs: JobRunner;
  shell: ShellKind;
  version: string;
}
