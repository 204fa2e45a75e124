import { approvalBinding } from '../../core/approvals/binding';
import type { Action } from '../../core/contract';
import { createCore } from '../../core/service';

export interface SeededRequest {
  id: string;
  target: string;
  createdAt: string;
}

/**
 * Opens `count` pending approval requests through the real core on a data directory (another
 * process may be running a console on it, as the CLI would): each one recorded in the tenant's
 * ledger before it is visible, bound to the infrastructure pack's active version. Opens run in
 * batches so the ledger group-commits them. Returns them in queue order (newest first, then by id).
 */
export async function seedPendingApprovals(
  home: string,
  count: number,
  options: { tenant?: string; batch?: number } = {},
): Promise<SeededRequest[]> {
  const tenant = options.tenant ?? 'evaluation';
  const batch = options.batch ?? 250;
  const core = createCore({ home, shell: 'test', log: () => undefined });
  try {
    core.gateHost.policy.prepare?.(tenant);
    const policy = core.gateHost.policy as unknown as { activeVersion(t: string, p: string): string | null };
    const pack = {
      id: 'cavra-infrastructure',
      version: policy.activeVersion(tenant, 'cavra-infrastructure') ?? '1.0.0',
    };
    const seeded: SeededRequest[] = [];
    // Opened oldest first, so the newest (index 0 in the queue) is module.service_0.
    for (let start = count - 1; start >= 0; start -= batch) {
      const indexes: number[] = [];
      for (let i = start; i > start - batch && i >= 0; i -= 1) indexes.push(i);
      const opened = await Promise.all(
        indexes.map((index) => {
          const command = `terraform apply -auto-approve -target=module.service_${index}`;
          const action: Action = {
            type: 'execute_command',
            command,
            cwd: '/work/platform',
            actor: 'os:dev',
            agent: { id: 'claude-code', session: `session-${index % 50}` },
            correlation_id: `seed-${index}`,
          };
          return core.gateHost.approvals.open({
            binding: approvalBinding(action, tenant, pack),
            route: 'cavra-infrastructure/platform',
            ruleId: 'cavra-infrastructure/iac.apply',
            reason: 'Applying infrastructure changes needs the platform team',
            requester: 'os:dev',
            agent: action.agent ?? null,
            adapter: 'claude-code',
            correlationId: `seed-${index}`,
            decisionId: `seed-decision-${index}`,
            actionType: 'execute_command',
            target: command,
            action,
            expiresInMs: 4 * 3600_000,
          });
        }),
      );
      seeded.push(
        ...opened.map((request) => ({ id: request.id, target: request.target, createdAt: request.createdAt })),
      );
    }
    return seeded.sort((a, b) =>
      a.createdAt === b.createdAt ? (a.id < b.id ? -1 : 1) : Date.parse(b.createdAt) - Date.parse(a.createdAt),
    );
  } finally {
    await core.close();
  }
}
