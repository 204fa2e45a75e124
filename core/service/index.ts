export { createCore } from './core';
export type { CoreOptions, CoreService, LocalCoreService } from './core';
export { createInMemoryTransport } from './in-memory';
export { startCoreWorker } from './worker-host';
export type { CoreWorkerOptions } from './worker-host';
export type { ShellKind } from './types';
export type { CallContext, Handler, HandlerDeps } from './handlers';
