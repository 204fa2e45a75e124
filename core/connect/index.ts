export { ControlPlaneLink } from './link';
export type { ConnectionStatus, ControlPlaneLinkOptions } from './link';
export { ControlPlaneClient, ControlPlaneRefusedError, ControlPlaneUnreachableError } from './client';
export { ServerUrlError, parseServerUrl } from './server-url';
export { MACHINE_PATHS, TENANT_HEADER } from './enrolment';
export type { Connection } from './connection';
export { CONTROL_PLANE_CONNECTOR } from './evidence-shipping';
export { ConnectedApprovals } from './remote-approvals';
