import type { ShellKind } from './types';
import type { TenantDirectory } from '../tenants';
import type { EventBus } from './events';
import type { JobRunner } from './jobs';

export type { CallContext, Handler, Handlers, PublicCallContext, TenantCallContext } from '../contract';

export interface HandlerDeps {
  tenants: TenantDirectory;
  events: EventBus;
  jobs: JobRunner;
  shell: ShellKind;
  version: string;
}
