import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { operationNames, operations } from '../core/contract';
import type { EventEnvelope, Principal } from '../core/contract';
import { createCore } from '../core/service';
import type { CoreService } from '../core/service';
import { localEvaluationPrincipal } from '../core/identity';
import { tempHome } from './support/temp-home';

// SPEC §7: the core refuses anything across tenants. Every tenant-scoped operation in the
// contract is called by someone who is not a member of the tenant; none may get through.
const outsider: Principal = { id: 'human:mallory', displayName: 'Mallory', kind: 'human', session: 'ses_mallory' };
const tenantOperations = operationNames.filter((name) => operations[name].scope === 'tenant');

describe('tenant isolation in the core', () => {
  let core: CoreService;
  let cleanup: () => void;
  beforeAll(async () => {
    const temp = tempHome();
    cleanup = temp.cleanup;
    core = createCore({ home: temp.home, shell: 'test', log: () => undefined });
    // A second tenant that the outsider owns, so they are a real, authenticated principal.
    const created = await core.invoke(outsider, {
      op: 'tenants.create',
      tenant: null,
      input: { id: 'mallory-co', displayName: 'M' },
    });
    expect(created).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
  afterAll(async () => {
    await core.close();
    cleanup();
  });

  it('covers every tenant-scoped operation', () => {
    expect(tenantOperations.length).toBeGreaterThan(10);
  });

  it.each(tenantOperations)('%s is forbidden to a non-member, whatever the input', async (op) => {
    for (const input of [{}, { jobId: 'x', seq: 1, packId: 'cavra-baseline', requestId: 'x', server: 'fs' }]) {
      const response = await core.invoke(outsider, { op, tenant: 'evaluation', input });
      expect(response).toMatchObject({ ok: false, error: { code: 'forbidden', field: 'tenant' } });
    }
  });

  it('a tenant that does not exist looks the same as one you may not see', async () => {
    const hidden = await core.invoke(outsider, { op: 'evidence.status', tenant: 'evaluation', input: {} });
    const missing = await core.invoke(outsider, { op: 'evidence.status', tenant: 'no-such-tenant', input: {} });
    expect(hidden).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    expect(missing).toMatchObject({ ok: false, error: { code: 'forbidden' } });
    if (!hidden.ok && !missing.ok)
      expect(hidden.error.message.replace('evaluation', 'X')).toBe(
        missing.error.message.replace('no-such-tenant', 'X'),
      );
  });

  it('lists no tenants and pushes no events of tenants the caller is not in', async () => {
    const listed = await core.invoke(outsider, { op: 'tenants.list', tenant: null, input: {} });
    expect(listed).toEqual({ ok: true, value: { tenants: [] } });
    const seen: EventEnvelope[] = [];
    const unsubscribe = core.subscribe(outsider, (event) => seen.push(event));
    const created = await core.invoke(localEvaluationPrincipal, {
      op: 'tenants.create',
      tenant: null,
      input: { id: 'acme-eval', displayName: 'Acme' },
    });
    expect(created.ok).toBe(true);
    await core.invoke(localEvaluationPrincipal, {
      op: 'policy.unassign',
      tenant: 'acme-eval',
      input: { packId: 'cavra-baseline' },
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(seen).toEqual([]);
    unsubscribe();
  });

  it('refuses a request without a principal', async () => {
    const response = await core.invoke(null, { op: 'evidence.status', tenant: 'evaluation', input: {} });
    expect(response).toMatchObject({ ok: false, error: { code: 'unauthenticated' } });
  });
});
