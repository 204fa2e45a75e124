import { useState } from 'react';
import type { ChangeEvent } from 'react';
import { enterpriseFeatureLabels } from '../../../core/contract';
import type { Entitlement } from '../../../core/contract';
import { useImportLicense, useImportRevocations, useLicenseStatus, useValidateLicense } from '../../api/license';
import { useUi } from '../../state/ui';

const statusTone: Record<Entitlement['status'], string> = {
  active: 'badge badge-allow',
  trial: 'badge badge-allow',
  suspended: 'badge badge-deny',
  expired: 'badge badge-deny',
  missing: 'badge badge-warn',
};

/** SPEC §10: the tenant's entitlement, days remaining, features, and importing signed files. */
export function LicenseScreen() {
  const tenant = useUi((state) => state.tenant);
  const status = useLicenseStatus(tenant);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  return (
    <div className="stack wide">
      {status.isError && <p role="alert">{status.error.message}</p>}
      {status.data && <EntitlementCard entitlement={status.data} />}
      <SignedFileCard
        kind="license"
        title="Import a license"
        hint="Paste the license file the vendor sent, or choose it. It is checked against the vendor key pinned in this build before anything is stored."
      />
      <SignedFileCard
        kind="revocations"
        title="Import a revocation list"
        hint="The vendor's signed list of revoked licenses. An older list than the one already imported is refused."
      />
    </div>
  );
}

function EntitlementCard({ entitlement }: { entitlement: Entitlement }) {
  const license = entitlement.license;
  return (
    <section
      className="card"
      aria-labelledby="entitlement-heading"
      data-testid="entitlement"
      data-status={entitlement.status}
    >
      <div className="card-head">
        <h2 id="entitlement-heading">
          Entitlement: <span className={statusTone[entitlement.status]}>{entitlement.status}</span>
        </h2>
        {entitlement.build.channel === 'demo' && (
          <span className="badge badge-warn" data-testid="demo-build">
            Demo build
          </span>
        )}
      </div>
      <p data-testid="entitlement-reason">{entitlement.reason}</p>
      {license && (
        <dl className="facts">
          <dt>License</dt>
          <dd>
            <code>{license.licenseId}</code> ({license.edition})
          </dd>
          <dt>Evaluator</dt>
          <dd>{license.evaluator}</dd>
          <dt>Valid</dt>
          <dd>
            {license.notBefore} to {license.expiresAt}
          </dd>
          <dt>Days remaining</dt>
          <dd data-testid="days-remaining">{entitlement.daysRemaining}</dd>
          <dt>Signed by</dt>
          <dd>
            {license.signer === 'demo' ? (
              <span className="badge badge-warn">Demo key: not valid in production builds</span>
            ) : (
              'The vendor key'
            )}
          </dd>
        </dl>
      )}
      {entitlement.revocation && (
        <p className="notice notice-deny">
          Revoked {entitlement.revocation.source === 'vendor' ? 'by the vendor' : 'at the trial closeout'} on{' '}
          {entitlement.revocation.revokedAt}: {entitlement.revocation.reason}
        </p>
      )}
      <table className="table" aria-label="Enterprise features">
        <thead>
          <tr>
            <th scope="col">Feature</th>
            <th scope="col">State</th>
          </tr>
        </thead>
        <tbody>
          {[...entitlement.enabledFeatures, ...entitlement.lockedFeatures].map((feature) => {
            const enabled = entitlement.enabledFeatures.includes(feature);
            return (
              <tr key={feature} data-feature={feature} data-enabled={enabled}>
                <td>{enterpriseFeatureLabels[feature]}</td>
                <td>
                  <span className={enabled ? 'badge badge-allow' : 'badge'}>{enabled ? 'enabled' : 'locked'}</span>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      <p className="muted small">
        The enforcement core (gate, policy, approvals, evidence) runs whatever the license says: a lapsed license never
        switches enforcement off.{' '}
        {entitlement.build.channel === 'demo'
          ? 'This is a demo build: it also accepts licenses signed with the demo key. Production builds trust the vendor key only.'
          : 'This production build trusts the vendor key only.'}
        {entitlement.revocationList &&
          ` Revocation list issued ${entitlement.revocationList.issuedAt} (${entitlement.revocationList.entries} entries).`}
      </p>
    </section>
  );
}

function SignedFileCard({ kind, title, hint }: { kind: 'license' | 'revocations'; title: string; hint: string }) {
  const tenant = useUi((state) => state.tenant);
  const announce = useUi((state) => state.announce);
  const [text, setText] = useState('');
  const validate = useValidateLicense(tenant);
  const importLicense = useImportLicense(tenant);
  const importList = useImportRevocations(tenant);
  const importing = kind === 'license' ? importLicense : importList;
  const id = `signed-${kind}`;
  const onFile = (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    if (file) void file.text().then(setText);
  };
  const onImport = () =>
    importing.mutate(text.trim(), {
      onSuccess: (entitlement) => {
        setText('');
        validate.reset();
        announce(`Imported. Entitlement is now ${entitlement.status}.`);
      },
    });
  return (
    <section className="card" aria-labelledby={`${id}-heading`}>
      <h2 id={`${id}-heading`}>{title}</h2>
      <p className="muted small">{hint}</p>
      <div className="field">
        <label htmlFor={`${id}-file`}>File</label>
        <input id={`${id}-file`} type="file" accept=".json,application/json" onChange={onFile} />
      </div>
      <div className="field">
        <label htmlFor={`${id}-text`}>Signed document</label>
        <textarea
          id={`${id}-text`}
          rows={5}
          spellCheck={false}
          value={text}
          onChange={(event) => setText(event.target.value)}
        />
      </div>
      <div className="actions">
        {kind === 'license' && (
          <button
            type="button"
            className="secondary"
            disabled={text.trim().length === 0 || validate.isPending}
            onClick={() => validate.mutate(text.trim())}
          >
            Check
          </button>
        )}
        <button type="button" disabled={text.trim().length === 0 || importing.isPending} onClick={onImport}>
          Import
        </button>
      </div>
      {validate.data && kind === 'license' && (
        <div
          className={validate.data.valid ? 'notice notice-allow' : 'notice notice-deny'}
          data-testid="license-check"
          role="status"
        >
          {validate.data.valid
            ? `Valid: ${validate.data.license?.licenseId} (${validate.data.license?.edition}) would make this tenant ${validate.data.status}.`
            : 'Not valid:'}
          {validate.data.problems.length > 0 && (
            <ul>
              {validate.data.problems.map((problem) => (
                <li key={problem}>{problem}</li>
              ))}
            </ul>
          )}
        </div>
      )}
      {(validate.error ?? importing.error) && <p role="alert">{(validate.error ?? importing.error)?.message}</p>}
    </section>
  );
}
