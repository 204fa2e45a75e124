// Health: independent checks of whether this install can enforce (cavra doctor, the console's health view).
import type { HealthContext, HealthResult, HealthStatus } from './check';
import { HEALTH_CHECKS } from './registry';

export type { HealthCheck, HealthContext, HealthResult, HealthStatus } from './check';

export interface HealthReport {
  /** The worst status of any check. */
  status: HealthStatus;
  checks: HealthResult[];
}

const rank: Record<HealthStatus, number> = { ok: 0, warn: 1, fail: 2 };

/** Runs every check; a check that throws is a failed check, never a crash of the others. */
export async function runHealthChecks(context: HealthContext): Promise<HealthReport> {
  const checks = await Promise.all(
    HEALTH_CHECKS.map(async (check): Promise<HealthResult> => {
      try {
        return await check.run(context);
      } catch (error) {
        return {
          id: check.id,
          title: check.title,
          status: 'fail',
          message: `The check itself failed: ${error instanceof Error ? error.message : String(error)}`,
          fix: null,
        };
      }
    }),
  );
  const status = checks.reduce<HealthStatus>((worst, c) => (rank[c.status] > rank[worst] ? c.status : worst), 'ok');
  return { status, checks };
}
export {
  MANAGED_DROP_IN,
  agentWritable,
  cavraHookKind,
  claudeCodeHookPlacement,
  claudeManagedDir,
  installedHooks,
  managedSettingsFiles,
  managedWeakenings,
} from './claude-settings';
export type { HookPlacement, InstalledHook, ManagedWeakening } from './claude-settings';
