import type { OperationName, OperationOutput, ParsedOperationInput, Principal } from '../contract';
import type { ShellKind } from './types';
import type { TenantDirectory } from '../tenants';
import type { EventBus } from './events';
import type { JobRunner } from './jobs';

export interface CallContext {
  principal: Principal;
  /** The tenant the call is scoped to, already checked against the caller's roles. */
  tenant: string | null;
}

export type Handler<K extends OperationName> = (
  ctx: CallContext,
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
