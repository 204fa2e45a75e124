import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ContractError } from '../contract';
import type { ContractClient } from '../contract';
import type { CoreService } from '../service';
import type { SqliteDatabase } from '../store';
import { coreClient } from '../../test/support/contract-client';
import { tempHome } from '../../test/support/temp-home';
import {
  demoLicense,
  demoLicensePayload,
  demoLicenseSigner,
  demoRevocationList,
  strangerSigner,
} from '../../test/support/demo-license';
import { DEMO_LICENSE_PUBLIC_KEY, LicenseDocumentError, signLicense, verifyLicenseDocument } from '.';

const tenant = 'evaluation';
const DAY = 86_400_000;

async function refusal(promise: Promise<unknown>): Promise<ContractError> {
  const error = await promise.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ContractError);
  return error as ContractError;
}

describe('license documents', () => {
  it('the demo private key in test/support is the pinned demo public key', () => {
    expect(demoLicenseSigner().publicKey.toString('base64')).toBe(DEMO_LICENSE_PUBLIC_KEY);
  });

  it('a demo build accepts a demo-signed license and says who signed it', () => {
    const verified = verifyLicenseDocument(demoLicense({ tenant }), 'demo');
    expect(verified.signer).toBe('demo');
    expect(verified.payload.tenant).toBe(tenant);
  });

  it('a production build refuses the same license, naming the demo key', () => {
    expect(() => verifyLicenseDocument(demoLicense({ tenant }), 'production')).toThrow(/demo key.*production builds/);
  });

  it('refuses an altered payload, a stranger key, a revocation list passed as a license, and non-JSON', () => {
    const envelope = JSON.parse(demoLicense({ tenant, expiresAt: new Date(Date.now() + DAY) })) as {
      payload: string;
    };
    const payload = JSON.parse(Buffer.from(envelope.payload, 'base64').toString('utf8')) as Record<string, unknown>;
    payload.expires_at = new Date(Date.now() + 3650 * DAY).toISOString();
    envelope.payload = Buffer.from(JSON.stringify(payload)).toString('base64');
    expect(() => verifyLicenseDocument(JSON.stringify(envelope), 'demo')).toThrow(/does not verify/);
    expect(() => verifyLicenseDocument(demoLicense({ tenant, signer: strangerSigner() }), 'demo')).toThrow(
      /does not verify with the vendor key/,
    );
    expect(() => verifyLicenseDocument(demoRevocationList([]), 'demo')).toThrow(/payload type/);
    expect(() => verifyLicenseDocument('not json', 'demo')).toThrow(LicenseDocumentError);
  });

  it('refuses a signed license whose fields are malformed, naming the field', () => {
    const bad = { ...demoLicensePayload({ tenant }), edition: 'platinum' } as never;
    expect(() => verifyLicenseDocument(JSON.stringify(signLicense(bad, demoLicenseSigner())), 'demo')).toThrow(
      /edition/,
    );
    const backwards = demoLicensePayload({ tenant, notBefore: new Date(), expiresAt: new Date(Date.now() - DAY) });
    expect(() => verifyLicenseDocument(JSON.stringify(signLicense(backwards, demoLicenseSigner())), 'demo')).toThrow(
      /expires_at must be after not_before/,
    );
  });
});

describe('entitlement through the contract', () => {
  let home: { home: string; cleanup: () => void };
  let core: CoreService;
  let client: ContractClient;
  let clock: Date;
  const open = () => {
    ({ core, client } = coreClient(home.home, { now: () => clock }));
  };
  beforeEach(() => {
    home = tempHome();
    clock = new Date();
    open();
  });
  afterEach(async () => {
    await core.close();
    home.cleanup();
  });

  it('is missing before any import, with every feature locked and what to do', async () => {
    const status = await client.call('license.status', {}, { tenant });
    expect(status).toMatchObject({ status: 'missing', license: null, enabledFeatures: [], daysRemaining: null });
    expect(status.lockedFeatures).toContain('readiness');
    expect(status.reason).toMatch(/cavra license import/);
    expect(status.build).toEqual({ channel: 'demo', demoKeyTrusted: true });
  });

  it('imports a trial license: status trial, days remaining, enabled and locked features, recorded first', async () => {
    const document = demoLicense({
      tenant,
      licenseId: 'lic-trial-1',
      features: ['readiness', 'reports', 'some_future_feature'],
      expiresAt: new Date(clock.getTime() + 14 * DAY + 3_600_000),
    });
    const status = await client.call('license.import', { document }, { tenant });
    expect(status).toMatchObject({ status: 'trial', daysRemaining: 14, enabledFeatures: ['readiness', 'reports'] });
    expect(status.lockedFeatures).toEqual(['connectors', 'aispm', 'sso', 'operating_reviews']);
    expect(status.license).toMatchObject({ licenseId: 'lic-trial-1', signer: 'demo', edition: 'trial' });
    const records = await client.call('evidence.query', { types: ['config_change'] }, { tenant });
    const seq = records.records.find((r) => r.summary.startsWith('license.import'))?.seq;
    expect(seq).toBeDefined();
    const record = await client.call('evidence.record', { seq: seq as number }, { tenant });
    expect(record.payload).toMatchObject({ change: 'license.import', license_id: 'lic-trial-1', signer: 'demo' });
    expect(JSON.stringify(record.payload)).not.toContain('"payload"');
    // Survives a restart: the entitlement is read from the stored, signed document.
    await core.close();
    open();
    expect(await client.call('license.status', {}, { tenant })).toMatchObject({ status: 'trial' });
  });

  it('an enterprise license is active; the entitlement follows the clock to expired', async () => {
    const expiresAt = new Date(clock.getTime() + 2 * DAY);
    await client.call(
      'license.import',
      { document: demoLicense({ tenant, edition: 'enterprise', expiresAt }) },
      { tenant },
    );
    expect(await client.call('license.status', {}, { tenant })).toMatchObject({ status: 'active', daysRemaining: 2 });
    clock = new Date(expiresAt.getTime() + 1000);
    const expired = await client.call('license.status', {}, { tenant });
    expect(expired).toMatchObject({ status: 'expired', enabledFeatures: [], daysRemaining: 0 });
    expect(expired.reason).toMatch(/expired on/);
  });

  it('a license not valid yet is suspended', async () => {
    const notBefore = new Date(clock.getTime() + DAY);
    await client.call('license.import', { document: demoLicense({ tenant, notBefore }) }, { tenant });
    expect(await client.call('license.status', {}, { tenant })).toMatchObject({ status: 'suspended' });
  });

  it('refuses an expired license, another tenant’s license, and a forged one, changing nothing', async () => {
    const expired = demoLicense({
      tenant,
      notBefore: new Date(clock.getTime() - 10 * DAY),
      expiresAt: new Date(clock.getTime() - DAY),
    });
    expect((await refusal(client.call('license.import', { document: expired }, { tenant }))).message).toMatch(
      /expired/,
    );
    const other = await refusal(
      client.call('license.import', { document: demoLicense({ tenant: 'acme-eval' }) }, { tenant }),
    );
    expect(other).toMatchObject({ code: 'invalid_input', field: 'document' });
    expect(other.message).toMatch(/for tenant "acme-eval"/);
    const forged = await refusal(
      client.call('license.import', { document: demoLicense({ tenant, signer: strangerSigner() }) }, { tenant }),
    );
    expect(forged.message).toMatch(/does not verify/);
    expect(await client.call('license.status', {}, { tenant })).toMatchObject({ status: 'missing' });
  });

  it('validate checks without importing', async () => {
    const checked = await client.call(
      'license.validate',
      { document: demoLicense({ tenant: 'acme-eval' }) },
      { tenant },
    );
    expect(checked.valid).toBe(false);
    expect(checked.problems[0]).toMatch(/for tenant "acme-eval"/);
    const good = await client.call('license.validate', { document: demoLicense({ tenant }) }, { tenant });
    expect(good).toMatchObject({ valid: true, status: 'trial', problems: [] });
    expect(await client.call('license.status', {}, { tenant })).toMatchObject({ status: 'missing' });
  });

  it('a vendor revocation list suspends the license; an older list is refused as a rollback', async () => {
    await client.call('license.import', { document: demoLicense({ tenant, licenseId: 'lic-revoked' }) }, { tenant });
    const list = demoRevocationList([{ licenseId: 'lic-revoked', reason: 'contract ended' }], {
      issuedAt: new Date(clock.getTime() - 60_000),
    });
    const status = await client.call('license.revocations.import', { document: list }, { tenant });
    expect(status).toMatchObject({ status: 'suspended', revocation: { source: 'vendor', reason: 'contract ended' } });
    expect(status.revocationList).toMatchObject({ entries: 1 });
    const older = demoRevocationList([], { issuedAt: new Date(clock.getTime() - 120_000) });
    const rollback = await refusal(client.call('license.revocations.import', { document: older }, { tenant }));
    expect(rollback).toMatchObject({ code: 'conflict' });
    expect(await client.call('license.status', {}, { tenant })).toMatchObject({ status: 'suspended' });
    // A revoked license cannot be imported again.
    const again = await refusal(
      client.call('license.import', { document: demoLicense({ tenant, licenseId: 'lic-revoked' }) }, { tenant }),
    );
    expect(again.message).toMatch(/revoked/);
  });

  it('refuses a revocation list signed by a stranger', async () => {
    const forged = demoRevocationList([{ licenseId: 'x-any' }], { signer: strangerSigner() });
    expect((await refusal(client.call('license.revocations.import', { document: forged }, { tenant }))).code).toBe(
      'invalid_input',
    );
  });

  it('a license row edited in SQLite grants nothing: the stored document is verified on every read', async () => {
    await client.call('license.import', { document: demoLicense({ tenant, edition: 'enterprise' }) }, { tenant });
    const db = (
      core as unknown as { gateHost: { tenants: { store(id: string): SqliteDatabase } } }
    ).gateHost.tenants.store(tenant);
    const forged = demoLicense({ tenant, edition: 'enterprise', signer: strangerSigner() });
    db.prepare('UPDATE license_current SET document = ?').run(forged);
    const status = await client.call('license.status', {}, { tenant });
    expect(status).toMatchObject({ status: 'missing', enabledFeatures: [] });
    expect(status.reason).toMatch(/no longer verifies/);
    // One wording everywhere: each locked feature's refusal is the guard's, and step 1 of the trial
    // says the stored license does not verify (not "no license is imported yet").
    expect(status.refusals.find((r) => r.feature === 'aispm')?.reason).toBe(
      `AISPM posture is an Enterprise feature ("aispm") and tenant "${tenant}" has no valid license (missing): ${status.reason}`,
    );
    const refused = await refusal(client.call('aispm.status', {}, { tenant }));
    expect(refused.code).toBe('license_required');
    expect(status.refusals.find((r) => r.feature === 'aispm')?.reason).toBe(refused.message);
    const step = (await client.call('trial.status', {}, { tenant })).steps[0];
    expect(step?.detail).toMatch(/The stored license no longer verifies in this build/);
    expect(step?.detail).not.toMatch(/No license is imported/);
  });

  it('importing is for tenant administrators', async () => {
    // Signed in (a session), but holding no role in the tenant.
    const outsider = { id: 'human:eve', displayName: 'Eve', kind: 'human' as const, session: 'ses_eve' };
    const response = await core.invoke(outsider, {
      op: 'license.import',
      tenant,
      input: { document: demoLicense({ tenant }) },
    });
    expect(response).toMatchObject({ ok: false, error: { code: 'forbidden' } });
  });
});
