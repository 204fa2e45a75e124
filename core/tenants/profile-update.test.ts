import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { localEvaluationPrincipal } from '../identity';
import { tempHome } from '../../test/support/temp-home';

// The console saves the SSO form and the role mappings separately. Under zod 4 a default applies
// even inside `.partial()`, so an update naming only `sso` arrived with `role_mappings: []` and
// wiped the mappings (then was refused: "no group maps to a role"). Only the fields given change.
let core: LocalCoreService;
let cleanup: () => void;

beforeAll(() => {
  const temp = tempHome('cavra-profile-update-');
  cleanup = temp.cleanup;
  core = createCore({ home: temp.home, shell: 'test', log: () => undefined });
});
afterAll(async () => {
  await core?.close();
  cleanup?.();
});

const update = (input: unknown, tenant = 'evaluation') =>
  core.invoke(localEvaluationPrincipal, { op: 'tenants.profile.update', tenant, input });

const sso = {
  issuer: 'https://idp.acme.example',
  client_id: 'cavra-console',
  scopes: ['profile'],
  groups_claim: 'groups',
};

describe('tenants.profile.update changes only the fields it is given', () => {
  it('still refuses SSO with no role mapping at all, and an unknown field', async () => {
    expect(await update({ sso })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringMatching(/no group maps to a role/) },
    });
    expect(await update({ bogus: true })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('role mappings, then recipients alone, then SSO alone: each change keeps the others', async () => {
    const mappings = [{ group: 'secops', roles: ['security_reviewer'] }];
    expect(await update({ role_mappings: mappings })).toMatchObject({ ok: true });
    const recipients = [{ email: 'rita@acme.example', name: 'Rita' }];
    expect(await update({ report_recipients: recipients })).toMatchObject({
      ok: true,
      value: { role_mappings: mappings, report_recipients: recipients },
    });
    const withSso = await update({ sso });
    expect(withSso, JSON.stringify(withSso)).toMatchObject({
      ok: true,
      value: { sso, role_mappings: mappings, report_recipients: recipients },
    });
  });
});
