import type { ReviewKind } from '../contract';

const DAY = 86_400_000;

export interface ReviewSpec {
  title: string;
  purpose: string;
  cadenceDays: number;
}

/**
 * The operating reviews of SPEC §9 and how often each is due. A review is first due one
 * cadence after the tenant's ledger began, then one cadence after it was last completed;
 * past that it is overdue, which is a finding (`review.overdue`) until it is completed.
 */
export const reviewSpecs: Readonly<Record<ReviewKind, ReviewSpec>> = {
  weekly_posture: {
    title: 'Weekly posture review',
    purpose: 'Score, coverage and trend since the last review; new and resolved findings.',
    cadenceDays: 7,
  },
  open_findings: {
    title: 'Open finding review',
    purpose: 'Every open finding: owner, age, severity; unowned and expired risk acceptances first.',
    cadenceDays: 7,
  },
  approvals_exceptions: {
    title: 'Approval and exception review',
    purpose: 'Approvals requested, granted, denied and expired; accepted risks; break-glass and self-approvals.',
    cadenceDays: 7,
  },
  report_delivery_audit: {
    title: 'Report delivery audit',
    purpose: 'Every report delivery since the last audit, with the server acceptance that proves it.',
    cadenceDays: 30,
  },
  tenant_isolation_audit: {
    title: 'Tenant isolation audit',
    purpose: 'Isolation probes and their results; configuration changes to tenants, roles and packs.',
    cadenceDays: 30,
  },
  connector_health: {
    title: 'Connector health review',
    purpose: 'Deliveries per connector, failures and retries, credentials about to expire.',
    cadenceDays: 7,
  },
  security_advisory_drill: {
    title: 'Security advisory drill',
    purpose: 'Pack versions in force, MCP tool definition changes, near misses: would the packs stop a new attack?',
    cadenceDays: 90,
  },
  readiness_archive_closeout: {
    title: 'Readiness archive closeout',
    purpose: 'Checkpoints signed, evidence gaps, unsigned tails and exports: is the archive complete?',
    cadenceDays: 30,
  },
};

export function cadenceMs(kind: ReviewKind): number {
  return reviewSpecs[kind].cadenceDays * DAY;
}

/** Within this long of its due time a review shows as due soon. */
export const DUE_SOON_MS = DAY;
