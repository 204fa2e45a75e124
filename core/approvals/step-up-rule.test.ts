import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ContractError } from '../contract';
import type { Action } from '../contract';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { requireKeychain } from '../gate/testing';
import { tempHome } from '../../test/support/temp-home';
import { approvalBinding } from './binding';
import { ApprovalDesk } from './desk';
import { stepUpRequirement } from './separation';
import type { Decider, StepUpFacts } from './separation';

// Step-up in one place (issue 13): approve, deny and break-glass ask for a fresh IdP sign-in
// exactly when `stepUpRequirement` says so — every combination of route attestation, the
// decider's OS user, the tenant kind and whether an IdP exists, on a real desk (SQLite, ledger).
// The CLI opens the browser on the typed `step_up_required` code only (cli/commands/approvals-cli.test.ts
// runs it against a real IdP).

const TENANT = 'evaluation';
const AGENT_UID = 5001;
let core: LocalCoreService;
let cleanup: () => void;

beforeAll(() => {
  requireKeychain();
  const temp = tempHome('cavra-step-up-rule-');
  cleanup = temp.cleanup;
  core = createCore({ home: temp.home, shell: 'test', log: () => undefined });
});
afterAll(async () => {
  await core?.close();
  cleanup?.();
});

/** A desk on the core's real tenant database and ledger, with the IdP and tenant kind of the case. */
function desk(idp: boolean, tenantKind: 'evaluation' | 'production'): ApprovalDesk {
  return new ApprovalDesk({
    // The core's own store: units on one SQLite connection must queue behind each other.
    repository: core.gateHost.approvals.repository,
    // The core's own ledger (the gate's view of it types only decisions).
    record: async (tenant, event) => {
      const ledger = core.gateHost.ledgers.ledger(tenant) as unknown as {
        append(input: { type: string; payload: unknown }): Promise<{ seq: number }>;
      };
      return (await ledger.append({ type: 'approval', payload: event })).seq;
    },
    standing: () => ({ groups: ['platform-security'], roles: ['security_reviewer', 'break_glass'] }),
    tenantKind: () => tenantKind,
    ssoConfigured: async () => idp,
    log: () => undefined,
  });
}

let opened = 0;
async function pending(on: ApprovalDesk, attest: 'none' | 'idp'): Promise<string> {
  opened += 1;
  const action: Action = { type: 'execute_command', command: `terraform apply -target=module.m${opened}` };
  const request = await on.open({
    binding: approvalBinding(action, TENANT, { id: 'cavra-infrastructure', version: '1.0.0' }),
    route: 'cavra-infrastructure/platform-security',
    ruleId: 'cavra-infrastructure/iac.apply',
    reason: 'Infrastructure changes need a reviewer',
    requester: 'os:dev',
    requesterUid: AGENT_UID,
    agent: { id: 'claude-code' },
    adapter: 'exec',
    correlationId: `c-${opened}`,
    decisionId: `d-${opened}`,
    actionType: 'execute_command',
    target: `terraform apply -target=module.m${opened}`,
    action,
    expiresInMs: 60_000,
    terms: { approverGroups: ['platform-security'], attest },
  });
  return request.id;
}

describe('the one step-up rule', () => {
  const human = (uid: number): Decider => ({ id: `human:test:${uid}`, kind: 'human', uid });
  const evaluator: Decider = { id: 'local:evaluator', kind: 'local_evaluation', uid: AGENT_UID };
  const facts = (patch: Partial<StepUpFacts> = {}): StepUpFacts => ({
    attest: 'none',
    requesterUid: AGENT_UID,
    tenantKind: 'production',
    idpAvailable: true,
    ...patch,
  });

  it('says why, or null', () => {
    expect(stepUpRequirement(human(6000), 'approve', facts({ attest: 'idp' }))).toBe('attested_route');
    expect(stepUpRequirement(human(6000), 'deny', facts({ attest: 'idp' }))).toBe('attested_route');
    expect(stepUpRequirement(human(AGENT_UID), 'approve', facts())).toBe('agent_os_user');
    // Denying never lets anything run: the agent's OS user may deny without a sign-in.
    expect(stepUpRequirement(human(AGENT_UID), 'deny', facts())).toBeNull();
    expect(stepUpRequirement(human(6000), 'approve', facts())).toBeNull();
    // Unknown uids prove nothing either way; the separation rules handle them.
    expect(stepUpRequirement(human(6000), 'approve', facts({ requesterUid: null }))).toBeNull();
    // The labelled local evaluator on an evaluation tenant is recorded self-approved instead.
    expect(stepUpRequirement(evaluator, 'approve', facts({ tenantKind: 'evaluation' }))).toBeNull();
    expect(stepUpRequirement(evaluator, 'approve', facts())).toBe('agent_os_user');
    // Nothing to sign in at: no step-up (what needed one is refused by separation instead).
    expect(stepUpRequirement(human(AGENT_UID), 'approve', facts({ idpAvailable: false, attest: 'idp' }))).toBeNull();
    expect(stepUpRequirement({ id: 'agent:a', kind: 'agent', uid: 7000 }, 'approve', facts({ attest: 'idp' }))).toBe(
      null,
    );
  });

  it('approve, deny and break-glass ask for it exactly when the rule says so, and nothing is recorded', async () => {
    const paths = ['approve', 'deny', 'break-glass'] as const;
    let cases = 0;
    let asked = 0;
    for (const idp of [true, false]) {
      for (const tenantKind of ['evaluation', 'production'] as const) {
        const on = desk(idp, tenantKind);
        for (const attest of ['none', 'idp'] as const) {
          for (const decider of [human(6000), human(AGENT_UID), { ...evaluator }]) {
            for (const path of paths) {
              const id = await pending(on, attest);
              const verdict = path === 'deny' ? 'deny' : 'approve';
              const expected = stepUpRequirement(decider, verdict, {
                attest,
                requesterUid: AGENT_UID,
                tenantKind,
                idpAvailable: idp,
                breakGlass: path === 'break-glass',
              });
              // A verdict refused even with a fresh sign-in is refused first: no sign-in for nothing.
              const refusedAnyway = await on
                .check(
                  TENANT,
                  id,
                  {
                    verdict,
                    decider,
                    ...(verdict === 'deny' ? { reason: 'not now' } : {}),
                    ...(path === 'break-glass'
                      ? { justification: 'The payments cluster is down and needs this now' }
                      : {}),
                  },
                  true,
                )
                .then(
                  () => false,
                  () => true,
                );
              const error = await (
                path === 'break-glass'
                  ? on.breakGlass(TENANT, id, decider, 'The payments cluster is down and needs this now')
                  : on.decide(TENANT, id, {
                      verdict,
                      decider,
                      ...(verdict === 'deny' ? { reason: 'not now' } : {}),
                    })
              ).then(
                () => null,
                (e: unknown) => e,
              );
              const label = `${path} by ${decider.kind}/${decider.uid} on attest=${attest}, ${tenantKind}, idp=${idp}`;
              const askedStepUp = error instanceof ContractError && error.code === 'step_up_required';
              expect(askedStepUp, `${label}: ${String(error)}`).toBe(expected !== null && !refusedAnyway);
              if (expected !== null && !refusedAnyway) asked += 1;
              if (askedStepUp) {
                expect((error as ContractError).field).toBe('redirectUri');
                expect(await on.get(TENANT, id)).toMatchObject({ state: 'pending', votes: [] });
              }
              // No other refusal ever mentions a sign-in as the way out when none can be done.
              if (!askedStepUp && error instanceof ContractError) expect(error.code).not.toBe('step_up_required');
              cases += 1;
            }
          }
        }
        on.close();
      }
    }
    expect(cases).toBe(2 * 2 * 2 * 3 * 3);
    // The matrix holds both answers many times over (a rule that never asks would fail above).
    expect(asked).toBeGreaterThan(10);
  }, 120_000);
});
