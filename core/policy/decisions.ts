import crypto from 'node:crypto';
import type { Decision, EnforcementMode, MatchedRule } from '../contract';
import type { NormalizedAction } from '../normalize/types';
import { summarizeAction } from './action-summary';
import { decisionRank } from './compile';
import type { RuleMatch, Verdict } from './evaluate';

interface DecisionContext {
  tenant: string;
  /** The tenant's mode: in shadow the would-be decision is recorded and the action allowed. */
  tenantMode: EnforcementMode;
  now: Date;
  correlationId?: string;
}

const ORDER = 'deny > require_approval > warn > allow';

function ruleRef(match: RuleMatch): string {
  return `${match.rule.pack.id}/${match.rule.id}`;
}

function matchedRule(match: RuleMatch): MatchedRule {
  const rule = match.rule;
  return {
    pack_id: rule.pack.id,
    pack_version: rule.pack.version,
    rule_id: rule.id,
    severity: rule.severity,
    decision: rule.decision,
    reason: rule.reason,
    matched: match.matched,
    mode: rule.pack.mode,
  };
}

function summarize(verdict: Verdict, decision: Decision['decision'], shadowTenant: boolean): string {
  const parts: string[] = [];
  if (verdict.basis === 'rule' && verdict.winner) {
    const w = verdict.winner;
    parts.push(`${verdict.decision} by ${ruleRef(w)} (${w.rule.severity}) on "${w.matched}": ${w.rule.reason}`);
    const others = verdict.matches.filter((m) => m !== w && m.rule.pack.mode === 'enforce').length;
    if (others > 0) {
      parts.push(
        `${others} other rule${others === 1 ? '' : 's'} matched; the most restrictive wins (${ORDER}), then the higher severity`,
      );
    }
  } else {
    parts.push(`${verdict.decision}: ${verdict.reason}`);
  }
  if (verdict.floors.length > 0 && verdict.basis !== 'normalization') {
    parts.push(`Not fully understood, so never allowed: ${verdict.floors.join('; ')}`);
  }
  const shadow = verdict.matches.find((m) => m.rule.pack.mode === 'shadow');
  if (shadow && shadow.rule.rank > decisionRank[verdict.decision]) {
    parts.push(`Shadow pack ${shadow.rule.pack.id} would make it ${shadow.rule.decision} (${ruleRef(shadow)})`);
  }
  if (shadowTenant && decision !== verdict.decision) {
    parts.push(`The tenant is in shadow mode: recorded as ${verdict.wouldBe}, effective ${decision}`);
  }
  return `${parts.join('. ')}.`;
}

/**
 * The SPEC §2 Decision for a verdict. `evidence_ref` stays null here: the ledger fills it
 * when it appends the record (see PolicyEvidence).
 */
export function toDecision(verdict: Verdict, normalized: NormalizedAction, context: DecisionContext): Decision {
  const decisionId = `dec_${crypto.randomUUID()}`;
  const shadowTenant = context.tenantMode === 'shadow';
  // Tenant shadow mode allows what the packs would stop, but never what was not understood
  // and never "no pack assigned" (SPEC §3, §4: fail closed).
  let decision = verdict.decision;
  // A malformed action (denied by normalization) stays denied: shadow observes policy, not garbage.
  const malformed = verdict.basis === 'normalization' && verdict.decision === 'deny';
  if (shadowTenant && verdict.basis !== 'no_pack' && !malformed) {
    decision = verdict.floors.length > 0 ? 'require_approval' : 'allow';
  }
  const wouldBe = decisionRank[verdict.wouldBe] >= decisionRank[verdict.decision] ? verdict.wouldBe : verdict.decision;
  const route = verdict.approvalRoute;
  return {
    decision_id: decisionId,
    tenant: context.tenant,
    action_type: normalized.type,
    target: normalized.target,
    rules: verdict.matches.map(matchedRule),
    decision,
    would_be: wouldBe,
    mode: shadowTenant ? 'shadow' : 'enforce',
    ...(decision === 'require_approval'
      ? {
          approval: {
            route: route ? `${route.packId ?? 'tenant'}/${route.route}` : 'default',
            state: 'pending' as const,
          },
        }
      : {}),
    evidence_ref: null,
    timestamp: context.now.toISOString(),
    correlation_id: context.correlationId ?? decisionId,
    explanation: {
      summary: summarize(verdict, decision, shadowTenant),
      winner: verdict.winner ? ruleRef(verdict.winner) : null,
      basis: verdict.basis,
    },
    action: summarizeAction(normalized, verdict.matches),
  };
}
