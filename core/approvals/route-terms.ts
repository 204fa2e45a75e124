import type { Action, Decision } from '../contract';
import { ContractError } from '../contract';
import type { RouteTerms } from './desk';

/** A pack's approval route as the policy engine holds it (pack-schema `approval_routes`). */
export interface ApprovalRouteSpec {
  expires_after: string;
  require_reason: boolean;
  approvers?: string[];
  required_approvals?: number;
  allow_reuse?: boolean;
  attest?: 'none' | 'idp';
}

/** What deriving a request's terms needs from the policy engine (PolicyService satisfies it). */
export interface RoutePolicy {
  /** The route a Decision names (`<pack>/<route>`), or null when it names none. */
  approvalRoute(tenant: string, qualified: string): ApprovalRouteSpec | null;
}

/** The control plane's side: it judges a connected machine's action itself (PolicyService satisfies it). */
export interface JudgingPolicy extends RoutePolicy {
  evaluate(tenant: string, action: Action, options: { dryRun: true; lexical: true }): { decision: Decision };
}

/** Expiry of requests whose route does not say (SPEC §3 example: 8h). */
export const DEFAULT_APPROVAL_EXPIRY_MS = 8 * 3_600_000;

/** A pack duration (`30m`, `8h`, `2d`) in milliseconds, or null when it is not one. */
export function durationMs(text: string): number | null {
  const match = /^([1-9][0-9]*)([smhd])$/.exec(text);
  if (!match) return null;
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] as 's' | 'm' | 'h' | 'd'];
  return Number(match[1]) * unit;
}

/** Whether the rule that decided is high or critical (SPEC §5: such requests default to IdP-attested verdicts). */
export function decidedBySevereRule(decision: Decision): boolean {
  return decision.rules.some(
    (rule) =>
      `${rule.pack_id}/${rule.rule_id}` === decision.explanation.winner &&
      (rule.severity === 'high' || rule.severity === 'critical'),
  );
}

export interface ApprovalTerms {
  expiresInMs: number;
  terms: Partial<RouteTerms>;
}

/**
 * The one place a new request's terms come from: the tenant's route as the policy holds it.
 * `attest` defaults to `idp` when the deciding rule is severe; a route that cannot be read
 * gets the strict default (attested when severe, one approver, the default expiry). The local
 * gate and the control plane (for a connected machine's request) both call this.
 */
export function approvalTerms(
  policy: RoutePolicy,
  tenant: string,
  route: string,
  severe: boolean,
  defaultExpiryMs: number = DEFAULT_APPROVAL_EXPIRY_MS,
): ApprovalTerms {
  let found: ApprovalRouteSpec | null = null;
  try {
    found = policy.approvalRoute(tenant, route);
  } catch {
    found = null;
  }
  const attest = severe ? 'idp' : 'none';
  if (!found) return { expiresInMs: defaultExpiryMs, terms: { attest } };
  return {
    expiresInMs: durationMs(found.expires_after) ?? defaultExpiryMs,
    terms: {
      approverGroups: found.approvers ?? [],
      requiredApprovals: found.required_approvals ?? 1,
      requireReason: found.require_reason,
      allowReuse: found.allow_reuse ?? false,
      attest: found.attest ?? attest,
    },
  };
}

export interface MachineRequestTerms extends ApprovalTerms {
  /** The route and deciding rule as the control plane's policy says, recorded on the request. */
  route: string;
  ruleId: string | null;
}

/**
 * The terms of a request a connected machine raised, derived from the policy the control plane
 * holds and never from the machine: the server judges the action's text itself (a dry run,
 * nothing recorded, no look at its own file system), and its own decision's route and deciding rule give the terms, whatever rule and
 * route the machine named. An action the tenant's policy denies gets no request at all. When
 * the server's judgement asks for no approval (the machine judged under another pack
 * generation, or in a containment context only it knows), the strict default applies: one
 * approver, an IdP-attested verdict, the default expiry.
 */
export function termsForMachineRequest(
  policy: JudgingPolicy,
  tenant: string,
  action: Action,
  claim: { route: string; ruleId: string | null },
  defaultExpiryMs: number = DEFAULT_APPROVAL_EXPIRY_MS,
): MachineRequestTerms {
  // The action's paths are the machine's: the server judges its text, and never walks or
  // probes its own file system at a path a machine chose.
  const { decision } = policy.evaluate(tenant, action, { dryRun: true, lexical: true });
  if (decision.decision === 'deny') {
    throw new ContractError(
      'forbidden',
      `action: the tenant's policy denies this action (${decision.explanation.winner ?? decision.explanation.basis}), so no approval can allow it`,
      'action',
    );
  }
  const route = decision.approval?.route;
  if (decision.decision === 'require_approval' && route) {
    return {
      ...approvalTerms(policy, tenant, route, decidedBySevereRule(decision), defaultExpiryMs),
      route,
      ruleId: decision.explanation.winner,
    };
  }
  return {
    expiresInMs: defaultExpiryMs,
    terms: { attest: 'idp', requiredApprovals: 1, allowReuse: false },
    route: claim.route,
    ruleId: claim.ruleId,
  };
}
