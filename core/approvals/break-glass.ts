import type { ApprovalRequest } from './desk';

/** What the break-glass notice needs: the tenant's escalation route, the outbox, and the ledger. */
export interface BreakGlassNoticeDeps {
  escalationRoute(tenant: string): Promise<{ connectorId: string; to: string[] } | null>;
  connectorKind(tenant: string, connectorId: string): Promise<string | null>;
  queue(
    tenant: string,
    request: {
      idempotencyKey: string;
      connector: { id: string; kind: never };
      purpose: 'escalation';
      message: {
        subject: string;
        text: string;
        to: string[];
        event: { type: string; severity: 'critical'; data: Record<string, unknown> };
      };
      subject: string;
      recipients: string[];
      createdBy: string;
      escalate: false;
    },
  ): Promise<{ id: string }>;
  /** A delivery record saying the notice could not be queued (no route): pending delivery, visible in the console. */
  recordUndelivered(tenant: string, text: string, requestId: string): Promise<unknown>;
}

/**
 * Tells the tenant's escalation contacts about a break-glass approval (SPEC §5), through the
 * outbox (retried, recorded per attempt). Without an escalation route the notice is recorded
 * as not delivered; the critical finding the `break_glass` record raises stays in the console.
 */
export async function notifyBreakGlass(
  deps: BreakGlassNoticeDeps,
  tenant: string,
  request: ApprovalRequest,
): Promise<void> {
  const glass = request.breakGlass;
  if (!glass) return;
  const subject = `CAVRA break-glass approval: ${request.actionType} ${request.target}`.slice(0, 200);
  const text = [
    `${glass.by} approved request ${request.id} outside its route (${request.route}) at ${glass.at}.`,
    `Justification: ${glass.justification}`,
    `Action: ${request.actionType} ${request.target} (sha256 ${request.binding.actionSha256})`,
    `Usable until: ${glass.validUntil}`,
    'Break-glass always needs a post-incident review: see the critical finding in AISPM.',
  ].join('\n');
  const route = await deps.escalationRoute(tenant);
  if (!route) {
    await deps.recordUndelivered(
      tenant,
      `Break-glass notice not sent: no escalation route is configured. ${text}`,
      request.id,
    );
    return;
  }
  const kind = (await deps.connectorKind(tenant, route.connectorId)) ?? 'smtp';
  await deps.queue(tenant, {
    idempotencyKey: `break-glass:${request.id}`,
    connector: { id: route.connectorId, kind: kind as never },
    purpose: 'escalation',
    message: {
      subject,
      text,
      to: route.to,
      event: {
        type: 'cavra.approval.break_glass',
        severity: 'critical',
        data: {
          request_id: request.id,
          by: glass.by,
          route: request.route,
          action_sha256: request.binding.actionSha256,
        },
      },
    },
    subject,
    recipients: route.to,
    createdBy: glass.by,
    escalate: false,
  });
}
