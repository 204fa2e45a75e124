import type { FindingCategory, Severity } from '../contract';

/**
 * Every kind of finding AISPM raises, what it reads, and how much it weighs in the posture
 * score (README.md has the formula). `event` findings collect occurrences and reopen when a
 * new one arrives after they were resolved; `condition` findings hold while a condition does
 * and resolve themselves when the evidence says it cleared.
 *
 * `wired` says whether the ledger already carries the records a kind reads. The others are
 * implemented against the record fields named in `reads` and light up when a capability
 * starts writing them (tests feed constructed records to prove they do).
 */
export interface FindingKindSpec {
  category: FindingCategory;
  lifecycle: 'event' | 'condition';
  /** Severity when the records do not give one. */
  severity: Severity;
  /** Multiplies the severity weight in the score; 0 where coverage already counts the weakness. */
  postureWeight: number;
  reads: string;
  wired: boolean;
}

export const findingKinds = {
  'activity.denied': {
    category: 'activity',
    lifecycle: 'event',
    severity: 'medium',
    postureWeight: 0.25,
    reads: 'decision records with an enforced deny, grouped by the rule (or basis) that decided',
    wired: true,
  },
  'activity.approval_required': {
    category: 'activity',
    lifecycle: 'event',
    severity: 'medium',
    postureWeight: 0.25,
    reads: 'decision records that waited for an approval, by rule; the record of the outcome joins the same finding',
    wired: true,
  },
  'activity.warned': {
    category: 'activity',
    lifecycle: 'event',
    severity: 'low',
    postureWeight: 0.5,
    reads: 'decision records with decision warn (allowed, flagged), by rule',
    wired: true,
  },
  'near_miss.shadow': {
    category: 'near_miss',
    lifecycle: 'event',
    severity: 'medium',
    postureWeight: 1,
    reads:
      'decision records allowed only because of shadow mode (tenant mode shadow, or a shadow pack would have stopped it): would_be above decision',
    wired: true,
  },
  'near_miss.approval_denied': {
    category: 'near_miss',
    lifecycle: 'event',
    severity: 'medium',
    postureWeight: 0.5,
    reads: 'approval records with event denied, by rule_id (or route)',
    wired: true,
  },
  'config.tenant_shadow': {
    category: 'configuration',
    lifecycle: 'condition',
    severity: 'high',
    postureWeight: 0,
    reads: 'config_change policy.settings with after.mode; decision records with mode shadow',
    wired: true,
  },
  'config.pack_shadow': {
    category: 'configuration',
    lifecycle: 'condition',
    severity: 'medium',
    postureWeight: 0,
    reads:
      'decision records whose matched rules carry mode shadow; cleared by a later match of the pack in enforce mode',
    wired: true,
  },
  'config.repository_unassigned': {
    category: 'configuration',
    lifecycle: 'condition',
    severity: 'high',
    postureWeight: 1,
    reads:
      'decision records with explanation.basis no_pack; cleared by config_change policy.assign for the repository or tenant-wide',
    wired: true,
  },
  'config.hook_agent_writable': {
    category: 'configuration',
    lifecycle: 'condition',
    severity: 'high',
    postureWeight: 1,
    reads:
      'config_change with change "hook.placement": { adapter, agent_writable: boolean, managed: boolean, path? } — open while the hook is only in settings the agent can write',
    wired: false,
  },
  'config.judgement_only': {
    category: 'configuration',
    lifecycle: 'condition',
    severity: 'high',
    postureWeight: 1,
    reads:
      'config_change with change "containment.enforcement": { before, after: "judgement_only" | "sandbox", reason?, by } (as core/containment records it)',
    wired: false,
  },
  'config.mcp_tools_changed': {
    category: 'configuration',
    lifecycle: 'event',
    severity: 'high',
    postureWeight: 1,
    reads: 'finding records of kind mcp.tool_definitions_changed (written with the mcp_tools change record), by server',
    wired: true,
  },
  'approval.break_glass': {
    category: 'configuration',
    lifecycle: 'event',
    severity: 'critical',
    postureWeight: 1,
    reads: 'approval records with event "break_glass" or break_glass: true, one finding per request_id',
    wired: false,
  },
  'approval.self_approved': {
    category: 'configuration',
    lifecycle: 'event',
    severity: 'high',
    postureWeight: 1,
    reads: 'approval or decision records with self_approved: true, one finding per request_id (or decision)',
    wired: false,
  },
  'evidence.unsigned_tail': {
    category: 'evidence',
    lifecycle: 'condition',
    severity: 'high',
    postureWeight: 1,
    reads: 'checkpoint records: records no signed checkpoint covers for longer than the window',
    wired: true,
  },
  'evidence.gap': {
    category: 'evidence',
    lifecycle: 'event',
    severity: 'high',
    postureWeight: 1,
    reads: 'gap records (something could not be captured or decided), by source',
    wired: true,
  },
  'evidence.unreadable': {
    category: 'evidence',
    lifecycle: 'event',
    severity: 'medium',
    postureWeight: 0.5,
    reads: 'records whose payload does not fit its type (written by an older build, or damaged), by type',
    wired: true,
  },
  'evidence.stale_surface': {
    category: 'evidence',
    lifecycle: 'condition',
    severity: 'medium',
    postureWeight: 0.5,
    reads: 'decision records: a control surface with evidence once, and none within its freshness window',
    wired: true,
  },
  'connector.delivery_failing': {
    category: 'evidence',
    lifecycle: 'condition',
    severity: 'high',
    postureWeight: 1,
    reads:
      'delivery records (core/outbox): an attempt with outcome failed, or an escalated delivery, opens it for the connector; the next accepted attempt clears it',
    wired: true,
  },
  'connector.credentials_expiring': {
    category: 'evidence',
    lifecycle: 'condition',
    severity: 'medium',
    postureWeight: 0.5,
    reads:
      'any record with connector and credentials_expire_at (RFC 3339), e.g. connector health or delivery records: open within 14 days of expiry',
    wired: false,
  },
  'review.overdue': {
    category: 'review',
    lifecycle: 'condition',
    severity: 'medium',
    postureWeight: 1,
    reads:
      'operating_review records: a review not completed within its cadence since the last one (or since the ledger began)',
    wired: true,
  },
  recorded: {
    category: 'configuration',
    lifecycle: 'event',
    severity: 'medium',
    postureWeight: 1,
    reads: 'finding records of any other kind, by kind and subject, with the severity they carry',
    wired: true,
  },
} as const satisfies Record<string, FindingKindSpec>;

export type FindingKind = keyof typeof findingKinds;

export function kindSpec(kind: string): FindingKindSpec {
  return (findingKinds as Record<string, FindingKindSpec>)[kind] ?? findingKinds.recorded;
}

/** `finding` records whose kind AISPM knows by another name. */
export const RECORDED_KIND_ALIASES: Readonly<Record<string, FindingKind>> = {
  'mcp.tool_definitions_changed': 'config.mcp_tools_changed',
  'approval.break_glass': 'approval.break_glass',
  'approval.self_approved': 'approval.self_approved',
};
