import type { TrialStatus, TrialStep, ValidatorId } from '../contract';
import type { EvidenceLedgers, Ledger } from '../evidence';
import { observe } from './observations';
import type { TenantObservers } from './validators';
import { validatorContext, validators } from './validators';

export interface TrialServiceOptions extends TenantObservers {
  ledgers: EvidenceLedgers;
  now?: () => Date;
  windowDays?: number;
}

type Step = Omit<TrialStep, 'n'>;

/**
 * The guided trial's nine steps (SPEC §11), each derived from the ledger when asked: the
 * same observations the readiness validators make, read-only (nothing is recorded by looking).
 */
export class TrialService {
  private readonly now: () => Date;

  constructor(private readonly options: TrialServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async status(tenant: string): Promise<TrialStatus> {
    const ledger = this.options.ledgers.ledger(tenant);
    const now = this.now();
    const context = validatorContext(this.options, {
      tenant,
      gate: 'production',
      scope: null,
      ledger,
      now,
      signal: new AbortController().signal,
      windowDays: this.options.windowDays ?? 14,
      probeIsolation: () => Promise.reject(new Error('the trial view runs no probes')),
    });
    const observed = async (id: ValidatorId) => {
      const validator = validators.find((v) => v.id === id);
      if (!validator) throw new Error(`no validator ${id}`);
      return validator.run(context);
    };
    const changes = observe<{ change: string; repository?: string | null; packs?: string[] }>(
      ledger,
      ['config_change'],
      { limit: 2000 },
    );
    const entitlement = await context.entitlement();

    const steps: Step[] = [];
    steps.push({
      id: 'tenant',
      title: 'Create or select the evaluation tenant',
      state: 'complete',
      detail:
        `Tenant "${tenant}" is selected and its evidence ledger holds ${ledger.size()} records.` +
        (entitlement.status === 'active' || entitlement.status === 'trial'
          ? ` License: ${entitlement.status}.`
          : // The entitlement's reason is the one wording: what happened to the license and what to do.
            ` ${entitlement.reason}.`),
      screen: entitlement.status === 'active' || entitlement.status === 'trial' ? 'tenants' : 'license',
      evidence: [],
    });
    const identity = await observed('identity');
    steps.push({
      id: 'roles',
      title: 'Assign evaluator, security reviewer, operator and report-recipient roles',
      state: identity.status === 'pass' ? 'complete' : 'incomplete',
      detail: identity.message,
      screen: 'tenants',
      evidence: identity.evidence,
    });
    const assigned = this.repositoryAssignment(changes);
    steps.push({
      id: 'policy',
      title: 'Attach a policy pack to one repository or workflow',
      state: assigned ? 'complete' : 'incomplete',
      detail: assigned
        ? `${assigned.packs.join(', ')} assigned to repository ${assigned.repository}.`
        : 'No pack is assigned to a repository yet: assign one on the Policy packs screen (the built-in tenant-wide assignment does not count).',
      screen: 'policy',
      evidence: assigned ? [assigned.seq] : [],
    });
    const workflows = await observed('agent_workflows');
    steps.push({
      id: 'workflow',
      title: 'Run a governed agent workflow (file, command, Git and MCP through the real adapters)',
      state: workflows.status === 'pass' ? 'complete' : 'incomplete',
      detail: workflows.message,
      screen: 'activity',
      evidence: workflows.evidence,
    });
    const enforcement = await observed('runtime_enforcement');
    steps.push({
      id: 'approval',
      title: 'Route one approval and one denied action',
      state: enforcement.status === 'pass' ? 'complete' : 'incomplete',
      detail: enforcement.message,
      screen: 'approvals',
      evidence: enforcement.evidence,
    });
    const ingestion = await observed('live_ingestion');
    steps.push({
      id: 'aispm',
      title: 'Generate evidence and ingest it into AISPM',
      state: ingestion.status === 'blocker' ? 'incomplete' : 'complete',
      detail: ingestion.message,
      screen: 'aispm',
      evidence: ingestion.evidence,
    });
    const report = await observed('report_delivery');
    steps.push({
      id: 'report',
      title: 'Deliver one report through the configured SMTP server',
      state: report.status === 'pass' ? 'complete' : 'incomplete',
      detail: report.message,
      screen: 'reports',
      evidence: report.evidence,
    });
    const packets = observe<{ ready_for_aispm_production: boolean; blockers: number }>(ledger, ['readiness_packet'], {
      limit: 1,
    });
    const packet = packets[0];
    steps.push({
      id: 'packet',
      title: 'Confirm the readiness packet has no blockers, and export it',
      state: packet?.payload.ready_for_aispm_production ? 'complete' : 'incomplete',
      detail: !packet
        ? 'No readiness packet has been exported yet: run the production gate and export the packet on the Readiness screen.'
        : packet.payload.ready_for_aispm_production
          ? 'The latest packet was exported with no blockers.'
          : `The latest packet was exported with ${packet.payload.blockers} blockers: resolve them and export again.`,
      screen: 'readiness',
      evidence: packet ? [packet.seq] : [],
    });
    const closeout = this.closeout(ledger);
    steps.push({
      id: 'closeout',
      title: 'Close out: license, package access, feedback, blockers and the pilot decision',
      state: closeout ? 'complete' : 'incomplete',
      detail: closeout
        ? `Closed out by ${closeout.by}: pilot decision "${closeout.decision}", license ${closeout.license}, ${closeout.blockers} blockers remaining; the signed closeout packet is in the tenant archive.`
        : 'Not closed out yet: record the pilot decision, the evaluator’s feedback, package access and the license’s fate on the Readiness screen (or "cavra packet closeout"), which exports the signed closeout packet.',
      screen: 'readiness',
      evidence: closeout ? closeout.evidence : [],
    });
    const numbered = steps.map((step, index) => ({ n: index + 1, ...step }));
    return {
      tenant,
      checkedAt: now.toISOString(),
      complete: numbered.filter((s) => s.state === 'complete').length,
      steps: numbered,
    };
  }

  /** The newest closeout whose signed packet reached the archive (its `exported` record follows the `recorded` one). */
  private closeout(ledger: Ledger) {
    const records = observe<{
      closeout_id: string;
      event: string;
      by: string;
      pilot_decision?: string;
      license?: { outcome?: string };
      blockers?: number;
    }>(ledger, ['closeout'], { limit: 200 });
    for (const exported of records) {
      if (exported.payload.event !== 'exported') continue;
      const recorded = records.find(
        (r) => r.payload.event === 'recorded' && r.payload.closeout_id === exported.payload.closeout_id,
      );
      if (!recorded) continue;
      return {
        by: recorded.payload.by,
        decision: recorded.payload.pilot_decision ?? '?',
        license: recorded.payload.license?.outcome ?? '?',
        blockers: recorded.payload.blockers ?? 0,
        evidence: [recorded.seq, exported.seq],
      };
    }
    return null;
  }

  /** The newest pack assignment to a repository that has not been undone since. */
  private repositoryAssignment(
    changes: { seq: number; payload: { change: string; repository?: string | null; packs?: string[] } }[],
  ): { seq: number; repository: string; packs: string[] } | null {
    const removed = new Set<string>();
    for (const change of changes) {
      const { repository, packs = [] } = change.payload;
      if (typeof repository !== 'string') continue;
      if (change.payload.change === 'policy.unassign')
        for (const pack of packs) removed.add(`${pack}\u0000${repository}`);
      if (change.payload.change === 'policy.assign') {
        const live = packs.filter((pack) => !removed.has(`${pack}\u0000${repository}`));
        if (live.length > 0) return { seq: change.seq, repository, packs: live };
      }
    }
    return null;
  }
}
