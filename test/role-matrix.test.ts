import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventNames, events, operationNames, operations, roles } from '../core/contract';
import type { EventEnvelope, EventName, OperationName, Principal, Role } from '../core/contract';
import { createCore } from '../core/service';
import type { LocalCoreService } from '../core/service';
import { TenantDirectory } from '../core/tenants';
import { localEvaluationPrincipal, localEvaluator } from '../core/identity';
import { requireKeychain } from '../core/gate/testing';
import { tempHome } from './support/temp-home';
import { demoLicense } from './support/demo-license';

// SPEC §7 and issue 11, acceptance 2: every operation × every role (and the agent and local
// evaluation kinds) is allowed exactly when the contract declares it, and every event reaches
// exactly the members whose roles the event declares. The input is deliberately invalid
// (an unknown field), so an allowed call ends in invalid_input and changes nothing.
const TENANT = 'acme';
const SSO_TENANT = 'sso-co';
const PROBE_INPUT = { probeOnly: true };
const tenantOps = operationNames.filter((op) => operations[op].scope === 'tenant');
const installOps = operationNames.filter((op) => operations[op].scope === 'install');

const human = (role: Role): Principal => ({
  id: `human:matrix:${role}`,
  displayName: `Holder of ${role}`,
  kind: 'human',
  session: `ses_matrix_${role}`,
  osUser: { uid: 1000, name: 'reviewer' },
});
const agent: Principal = { id: 'agent:matrix', displayName: 'Agent', kind: 'agent', tenant: TENANT, session: 'cred_1' };

function refusedCodes(response: Awaited<ReturnType<LocalCoreService['invoke']>>): string | null {
  if (response.ok) return null;
  return ['forbidden', 'unauthenticated'].includes(response.error.code) ? response.error.code : null;
}

describe('role × operation × principal kind', () => {
  let core: LocalCoreService;
  let cleanup: () => void;
  beforeAll(async () => {
    requireKeychain();
    const temp = tempHome('cavra-matrix-');
    cleanup = temp.cleanup;
    core = createCore({ home: temp.home, shell: 'test', log: () => undefined });
    for (const id of [TENANT, SSO_TENANT]) {
      const created = await core.invoke(localEvaluationPrincipal, {
        op: 'tenants.create',
        tenant: null,
        input: { id, displayName: id },
      });
      expect(created.ok).toBe(true);
    }
    // Posture and report events need the licensed workflows that cause them.
    const licensed = await core.invoke(localEvaluationPrincipal, {
      op: 'license.import',
      tenant: TENANT,
      input: { document: demoLicense({ tenant: TENANT }) },
    });
    expect(licensed.ok, JSON.stringify(licensed)).toBe(true);
    const sso = await core.invoke(localEvaluationPrincipal, {
      op: 'tenants.profile.update',
      tenant: SSO_TENANT,
      input: {
        sso: { issuer: 'https://login.example.com', client_id: 'cavra' },
        role_mappings: [{ group: 'admins', roles: ['tenant_admin'] }],
      },
    });
    expect(sso.ok).toBe(true);
    // One member per role, holding that role only (as an IdP group mapping would grant it).
    const directory = new TenantDirectory(temp.home);
    for (const role of roles) directory.setRoles(human(role), TENANT, [role]);
    directory.close();
  }, 60_000);
  afterAll(async () => {
    await core?.close();
    cleanup?.();
  });

  it('the contract has authority operations, and each of them changes state', () => {
    const authority = operationNames.filter((op) => operations[op].authority);
    expect(authority).toEqual(
      expect.arrayContaining([
        'approvals.decide',
        'policy.assign',
        'policy.unassign',
        'mcp.trust.set',
        'evidence.retention.set',
        'evidence.prune',
        'tenants.profile.update',
      ]),
    );
    for (const op of authority) expect(operations[op].mutates, op).toBe(true);
    // Changing configuration (policy, trust, retention, keys, licenses, access) is authority.
    const configuration = operationNames.filter((op) => operations[op].configuration);
    for (const op of configuration) expect(operations[op].authority, op).toBe(true);
  });

  it.each(roles)('a %s may call exactly the tenant operations that declare the role', async (role) => {
    const outcome: Record<string, string> = {};
    for (const op of tenantOps) {
      const response = await core.invoke(human(role), { op, tenant: TENANT, input: PROBE_INPUT });
      const declared = (operations[op] as { roles: readonly Role[] }).roles.includes(role);
      outcome[op] = declared ? (refusedCodes(response) ?? 'allowed') : (refusedCodes(response) ?? 'LEAKED');
      if (declared)
        expect(response, `${op} declares ${role}`).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      else
        expect(response, `${op} does not declare ${role}`).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    }
    expect(Object.values(outcome)).not.toContain('LEAKED');
  });

  it.each(roles)('a %s holds no install role: install-role operations are refused', async (role) => {
    for (const op of installOps) {
      const spec = operations[op] as { installRoles?: readonly string[]; public?: boolean };
      const response = await core.invoke(human(role), { op, tenant: null, input: PROBE_INPUT });
      if ((spec.installRoles ?? []).length > 0)
        expect(response, op).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      else expect(response, op).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
  });

  it.each(operationNames.filter((op) => !(operations[op] as { public?: boolean }).public))(
    'an agent principal is refused %s, in its own tenant too',
    async (op: OperationName) => {
      const spec = operations[op];
      const response = await core.invoke(agent, {
        op,
        tenant: spec.scope === 'tenant' ? TENANT : null,
        input: PROBE_INPUT,
      });
      expect(response).toMatchObject({ ok: false, error: { code: 'forbidden' } });
      if (spec.authority && !response.ok) expect(response.error.message).toMatch(/governed never governs/);
    },
  );

  it('the local evaluation identity has no authority in a tenant with SSO, but may still read there', async () => {
    for (const op of tenantOps) {
      const spec = operations[op];
      const response = await core.invoke(localEvaluationPrincipal, { op, tenant: SSO_TENANT, input: PROBE_INPUT });
      if (spec.authority) {
        expect(response, op).toMatchObject({ ok: false, error: { code: 'forbidden' } });
        if (!response.ok) expect(response.error.message).toMatch(/SSO configured/);
      } else {
        expect(response, op).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
      }
    }
  });

  it('nobody signed in: every state change is refused by the core, reads are not', async () => {
    const unsigned = localEvaluator(null);
    for (const op of tenantOps) {
      const response = await core.invoke(unsigned, { op, tenant: TENANT, input: PROBE_INPUT });
      if (operations[op].mutates) {
        expect(response, op).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
        if (!response.ok) expect(response.error.message).toMatch(/cavra login/);
      } else expect(response, op).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
  });

  it('refused operations are ledger records in the tenant they concern', async () => {
    const refused = await core.invoke(human('executive'), {
      op: 'policy.unassign',
      tenant: TENANT,
      input: { packId: 'cavra-secrets' },
    });
    expect(refused).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    const records = await core.invoke(localEvaluationPrincipal, {
      op: 'evidence.query',
      tenant: TENANT,
      input: { types: ['access_refused'] },
    });
    expect(records.ok).toBe(true);
    const summaries = JSON.stringify(records.ok ? records.value : null);
    expect(summaries).toContain('policy.unassign refused to human:matrix:executive (forbidden)');
  });

  it('events reach exactly the members whose roles the event declares', async () => {
    const received = new Map<Role, Set<EventName>>();
    const unsubscribes = roles.map((role) => {
      received.set(role, new Set());
      return core.subscribe(human(role), (event: EventEnvelope) => {
        if (event.tenant === TENANT) received.get(role)?.add(event.event);
      });
    });
    const agentSeen: EventEnvelope[] = [];
    unsubscribes.push(core.subscribe(agent, (event) => agentSeen.push(event)));
    const admin = localEvaluationPrincipal;
    // One of each event in the tenant, each caused through the contract or the gate's desk.
    await core.invoke(admin, { op: 'tenants.profile.update', tenant: TENANT, input: { contacts: [] } });
    await core.invoke(admin, { op: 'policy.unassign', tenant: TENANT, input: { packId: 'cavra-cicd' } });
    // Report policy saved unchanged still tells connector readers that deliveries may differ.
    const settings = await core.invoke(admin, { op: 'reports.settings.get', tenant: TENANT, input: {} });
    expect(settings.ok).toBe(true);
    const saved = await core.invoke(admin, {
      op: 'reports.settings.set',
      tenant: TENANT,
      input: settings.ok ? settings.value : {},
    });
    expect(saved.ok).toBe(true);
    // Reading posture ingests the records above, which AISPM announces to posture readers.
    expect((await core.invoke(admin, { op: 'aispm.status', tenant: TENANT, input: {} })).ok).toBe(true);
    const verify = await core.invoke(human('compliance'), { op: 'evidence.verify', tenant: TENANT, input: {} });
    expect(verify.ok).toBe(true);
    await core.gateHost.approvals.open({
      binding: { tenant: TENANT, actionSha256: 'a'.repeat(64), packId: null, packVersion: null },
      route: 'default',
      ruleId: null,
      reason: 'matrix',
      requester: null,
      agent: { id: 'claude-code' },
      adapter: 'test',
      correlationId: 'cor_matrix',
      decisionId: 'dec_matrix',
      actionType: 'execute_command',
      target: 'true',
      action: { type: 'execute_command', command: 'true' },
      expiresInMs: 60_000,
    });
    await expect.poll(() => received.get('compliance')?.has('evidence.appended'), { timeout: 10_000 }).toBe(true);
    await expect.poll(() => received.get('compliance')?.has('jobs.changed'), { timeout: 10_000 }).toBe(true);
    for (const unsubscribe of unsubscribes) unsubscribe();
    for (const role of roles) {
      for (const event of eventNames) {
        if (event === 'jobs.changed') {
          // A job's progress goes to the one who started it, whatever roles others hold.
          expect(received.get(role)?.has(event), `${role} ${event}`).toBe(role === 'compliance');
          continue;
        }
        expect(received.get(role)?.has(event), `${role} ${event}`).toBe(events[event].roles.includes(role));
      }
    }
    expect(agentSeen).toEqual([]);
  }, 30_000);
});
