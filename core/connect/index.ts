export { ControlPlaneLink } from './link';
export type { ConnectionStatus, ControlPlaneLinkOptions } from './link';
export { ControlPlaneClient, ControlPlaneRefusedError, ControlPlaneUnreachableError } from './client';
export { ServerUrlError, parseServerUrl } from './server-url';
export {
  BUNDLE_STREAM_TYPE,
  CENTRAL_BUNDLE_PATH,
  INVOKE_PATH,
  LEDGER_BATCH_PATH,
  MACHINE_PATHS,
  MAX_INGEST_BATCH_RECORDS,
  TENANT_HEADER,
  approvalBindingSchema,
  bundleStreamHeaderSchema,
  centralBundleRequestSchema,
  machineApprovalOpenSchema,
  machineApprovalWaitSchema,
} from './wire';
export type { BundleStreamHeader, MachineApprovalOpen } from './wire';
export { CentralBundleError, fetchCentralBundle } from './central-bundle';
export type { Connection } from './connection';
export { CONTROL_PLANE_CONNECTOR } from './evidence-shipping';
export { ConnectedApprovals } from './remote-approvals';
export { RemoteApprovalEvents } from './remote-events';
export { REMOTE_APPROVAL_OPS, ReviewerSessions, connectedApprovalHandlers } from './remote-approvals-source';
export { cachedPacks, packCacheKey } from './pack-sync';
export type { CachedPacks, PackSet, PackSyncResult } from './pack-sync';
