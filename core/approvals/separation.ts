import type { PrincipalKind, Role } from '../contract';

/** Who is deciding, as the transport verified it (never what a caller claims). */
export interface Decider {
  id: string;
  displayName?: string | null;
  kind: PrincipalKind;
  /** The OS user the transport verified behind the call (null when none could be). */
  uid: number | null;
  /** An agent principal's own tenant (from its credential). */
  tenant?: string;
}

/** What the separation rules need to know about the request and the decider's standing in the tenant. */
export interface SeparationFacts {
  tenant: string;
  tenantKind: 'evaluation' | 'production';
  route: string;
  approverGroups: readonly string[];
  /** The human on whose behalf the agent acts (`os:<name>` as the gate verified it, or a claim). */
  requester: string | null;
  /** The OS user the gate verified behind the requesting agent. */
  requesterUid: number | null;
  /** Principals who already approved this request. */
  approvedBy: readonly string[];
  /** The decider's IdP groups (from their last sign-in) and roles in this tenant. */
  groups: readonly string[];
  roles: readonly Role[];
  /** The verdict carries a fresh IdP authentication that the agent cannot produce. */
  attested: boolean;
  /**
   * Break-glass: outside the route, so the route's approver groups do not apply (the role does),
   * and it records no self-approval, so the local evaluator's same-user exemption does not apply.
   */
  breakGlass?: boolean;
}

/** Why a verdict needs a fresh IdP sign-in first. */
export type StepUpReason = 'attested_route' | 'agent_os_user';

/** What the step-up rule looks at. */
export interface StepUpFacts {
  /** The route's attestation as the request was opened. */
  attest: 'none' | 'idp';
  requesterUid: number | null;
  tenantKind: 'evaluation' | 'production';
  /** Whether the tenant has an IdP to sign in at (without one nobody can step up). */
  idpAvailable: boolean;
  /** Break-glass: an override by a person, never covered by the local evaluator's exemption. */
  breakGlass?: boolean;
}

/**
 * The one rule for "does this verdict need an IdP step-up" (approve, deny, break-glass, the
 * CLI and the console all ask it here): on an attested route every verdict does; an approval
 * by someone running as the agent's OS user does (only a fresh sign-in, which the agent cannot
 * complete, tells them apart) — except the labelled local evaluator on an evaluation tenant,
 * recorded as self-approved (not for break-glass, which records no self-approval). Without an IdP nothing can be stepped up: `separationRefusal`
 * then refuses what needed it.
 */
export function stepUpRequirement(
  decider: Decider,
  verdict: 'approve' | 'deny',
  facts: StepUpFacts,
): StepUpReason | null {
  if (!facts.idpAvailable || decider.kind === 'agent') return null;
  if (facts.attest === 'idp') return 'attested_route';
  const exempt = decider.kind === 'local_evaluation' && facts.tenantKind === 'evaluation' && !facts.breakGlass;
  if (verdict === 'approve' && !exempt && sameOsUser(decider, facts.requesterUid)) return 'agent_os_user';
  return null;
}

/** Unknown on either side proves nothing: only two known, equal uids are the same user. */
function sameOsUser(decider: Decider, requesterUid: number | null): boolean {
  return requesterUid !== null && decider.uid !== null && requesterUid === decider.uid;
}

/**
 * Separation of duties (SPEC §5), one place for every rule; returns why the decider may not
 * give this verdict, or null. Deny is refused only to those who may not touch the request at
 * all (agents, other tenants, outsiders of the route): refusing an action never lets anything run.
 */
export function separationRefusal(
  decider: Decider,
  verdict: 'approve' | 'deny',
  facts: SeparationFacts,
): string | null {
  if (decider.kind === 'agent') {
    return 'an agent principal can never decide approval requests: the governed never governs';
  }
  if (decider.tenant !== undefined && decider.tenant !== facts.tenant) {
    return `principal ${decider.id} belongs to tenant "${decider.tenant}", not "${facts.tenant}"`;
  }
  const evaluation = decider.kind === 'local_evaluation' && facts.tenantKind === 'evaluation';
  if (verdict === 'approve' && facts.requester !== null && facts.requester === decider.id) {
    return 'you requested this action; someone else must decide it (separation of duties: self-approval)';
  }
  if (!evaluation && !facts.breakGlass && !inRoute(facts)) {
    return `${decider.id} is not in an approver group of route ${facts.route} (${facts.approverGroups.join(', ') || 'none named'}); ask a member of one of them`;
  }
  if (verdict === 'deny') return null;
  if (facts.approvedBy.includes(decider.id)) {
    return `${decider.id} already approved this request; route ${facts.route} needs distinct approvers`;
  }
  // The agent's OS user can reach every credential the agent can (a stored session, the CLI):
  // only a fresh IdP sign-in, which the agent cannot complete, shows that a person decided.
  // The labelled local evaluator on an evaluation tenant is the one exception: it is recorded
  // self_approved and blocks readiness.
  // Break-glass records no self-approval, so the evaluator's exemption does not reach it.
  if (sameOsUser(decider, facts.requesterUid) && !facts.attested && !(evaluation && !facts.breakGlass)) {
    return `the request came from an agent running as your OS user (uid ${decider.uid}); approving it needs a fresh IdP sign-in (step-up) or another person`;
  }
  if (decider.kind === 'local_evaluation' && !evaluation) {
    return 'the local evaluation identity can approve only on an evaluation tenant';
  }
  return null;
}

/** The built-in packs name approvers by role in the plural (`security-reviewers`, `operators`). */
function roleNamed(group: string): string {
  return group.replace(/-/g, '_').replace(/s$/, '');
}

/**
 * Route approvers name IdP groups; a tenant role of that name counts too (`security_reviewer`, or
 * `security-reviewers` as the built-in packs write it).
 * A request without a named route (the tenant default, a report delivery) is decided by anyone
 * holding a deciding role, which the contract already checked.
 */
function inRoute(facts: SeparationFacts): boolean {
  if (facts.approverGroups.length === 0) return true;
  return facts.approverGroups.some(
    (group) => facts.groups.includes(group) || (facts.roles as readonly string[]).includes(roleNamed(group)),
  );
}
