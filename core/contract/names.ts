/**
 * Operation and event names without their schemas, so that the preload script can
 * build its client without bundling zod. `contract.test.ts` keeps these in step with
 * the schema tables.
 */
export const operationNames = [
  'system.info',
  'system.health',
  'tenants.list',
  'tenants.create',
  'tenants.keys.provision',
  'jobs.get',
  'jobs.cancel',
  'evidence.status',
  'evidence.query',
  'evidence.record',
  'evidence.verify',
  'evidence.export',
  'evidence.bundle.verify',
  'evidence.retention.set',
  'evidence.prune',
  'approvals.list',
  'approvals.get',
  'approvals.decide',
  'mcp.trust.list',
  'mcp.trust.set',
  'mcp.trust.remove',
  'policy.packs.list',
  'policy.pack.get',
  'policy.simulate',
  'policy.evaluate',
  'policy.assign',
  'policy.unassign',
  'policy.test',
  'policy.pack.import',
  'policy.reload',
  'policy.settings.get',
  'policy.settings.update',
  'connectors.list',
  'connectors.save',
  'connectors.remove',
  'connectors.secret.set',
  'connectors.secret.clear',
  'connectors.test',
  'deliveries.list',
  'deliveries.retry',
  'reports.render',
  'reports.deliver',
  'reports.settings.get',
  'reports.settings.set',
  'reports.schedules.list',
  'reports.schedules.save',
  'reports.schedules.remove',
  'license.status',
  'license.validate',
  'license.import',
  'license.revocations.import',
  'readiness.run',
  'readiness.packet.export',
  'readiness.packet.verify',
  'offline.verify',
  'aispm.status',
  'aispm.findings.list',
  'aispm.finding.get',
  'aispm.finding.evidence',
  'aispm.records',
  'aispm.finding.update',
  'aispm.finding.accept_risk',
  'aispm.coverage',
  'aispm.trend',
  'aispm.reviews.list',
  'aispm.review.packet',
  'aispm.review.complete',
  'trial.status',
  'trial.closeout',
  'trial.workflow.run',
  'containment.settings.get',
  'containment.settings.set',
  'containment.profile',
  'session.status',
  'session.begin',
  'session.complete',
  'session.resume',
  'session.local',
  'session.logout',
  'tenants.onboard',
  'tenants.profile.get',
  'tenants.profile.update',
  'tenants.status',
  'tenants.members',
  'identity.blockers',
] as const;
export type OperationName = (typeof operationNames)[number];

export const eventNames = [
  'tenants.changed',
  'jobs.changed',
  'policy.changed',
  'evidence.appended',
  'approvals.changed',
  'deliveries.changed',
  'aispm.changed',
] as const;
export type EventName = (typeof eventNames)[number];

export function isOperationName(value: unknown): value is OperationName {
  return typeof value === 'string' && (operationNames as readonly string[]).includes(value);
}

/** IPC channel names shared by main and preload. */
export const ipcChannels = {
  invoke: 'cavra:invoke',
  event: 'cavra:event',
  ready: 'cavra:ready',
} as const;

/** The browser-mode bridge's wire names, shared by the loopback host and its client. */
export const bridgeWire = {
  protocol: 'cavra-bridge',
  tokenProtocolPrefix: 'token.',
  invokePath: '/api/invoke',
  eventsPath: '/api/events',
} as const;
