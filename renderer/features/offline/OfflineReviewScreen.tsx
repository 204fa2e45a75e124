import { useState } from 'react';
import { offlineReviewSchema } from '../../../core/contract';
import type { AttestedVerdictView, PacketVerificationView } from '../../../core/contract';
import { useStartOfflineVerify } from '../../api/readiness';
import { useJob } from '../../api/jobs';
import { Field, SubmitRow } from '../../components/form/Field';
import { useContractForm } from '../../components/form/useContractForm';
import { JobProgress } from '../../components/JobProgress';
import { useShortcuts } from '../../components/shortcuts';
import { useUi } from '../../state/ui';

/**
 * Verify an export from disk on its own — an evidence bundle, a signed readiness packet or a
 * trial closeout packet, told apart by the core from what the directory holds: no tenant
 * data, no network (SPEC §6, §9).
 */
export function OfflineReviewScreen() {
  const tenant = useUi((state) => state.tenant);
  const announce = useUi((state) => state.announce);
  const [jobId, setJobId] = useState<string | null>(null);
  const start = useStartOfflineVerify(tenant);
  const job = useJob(tenant, jobId);
  const review = offlineReviewSchema.safeParse(job.data?.result);
  const result =
    review.success && review.data.kind === 'bundle'
      ? { success: true as const, data: review.data.bundle }
      : { success: false as const };
  const packet = review.success && review.data.kind === 'packet' ? review.data.packet : null;
  const form = useContractForm('offline.verify', {
    initial: { path: '', trustedKey: '' },
    labels: { path: 'Bundle directory or packet directory', trustedKey: 'Trusted public key' },
    toInput: ({ path, trustedKey }) => ({
      path: path.trim(),
      ...(trustedKey.trim() ? { trustedKey: trustedKey.trim() } : {}),
    }),
  });
  useShortcuts('Offline review', [
    {
      keys: '/',
      key: '/',
      description: 'Go to the bundle directory',
      run: () => document.getElementById(form.idOf('path'))?.focus(),
    },
  ]);

  const submit = form.onSubmit((input) =>
    start.mutate(input, {
      onSuccess: ({ jobId: id }) => {
        setJobId(id);
        announce('Verification started');
      },
      onError: (error) => form.showError(error),
    }),
  );

  return (
    <div className="stack wide">
      <section className="card" aria-labelledby="offline-heading">
        <h2 id="offline-heading">Open an exported bundle or packet</h2>
        <p className="muted small">
          For an evidence bundle: checks every record hash, chain link, inclusion and consistency proof, checkpoint
          signature, the manifest and the DSSE envelope using only the bundle&apos;s files. For a readiness or trial
          closeout packet: the bundle beside it in full, then the packet&apos;s signature and every result and decision
          against the records inside the bundle. Pin the tenant&apos;s public key to detect a copy re-signed with
          another key.
        </p>
        <form className="form wide-form" onSubmit={submit} noValidate>
          <Field form={form} name="path">
            {(describedBy) => (
              <input
                {...form.textProps('path')}
                aria-describedby={describedBy}
                spellCheck={false}
                placeholder="/media/usb/readiness-20261125T101500Z-1a2b3c"
              />
            )}
          </Field>
          <Field
            form={form}
            name="trustedKey"
            hint="C2SP vkey, PEM or base64. Pin it to prove who signed the bundle, not only that it is consistent."
          >
            {(describedBy) => (
              <textarea {...form.textProps('trustedKey')} aria-describedby={describedBy} rows={2} spellCheck={false} />
            )}
          </Field>
          <SubmitRow
            form={form}
            label="Verify bundle or packet"
            pendingLabel="Verifying…"
            pending={start.isPending || job.data?.state === 'running'}
          />
        </form>
        {job.data && <JobProgress job={job.data} label="Verification" />}
      </section>
      {job.data?.state === 'succeeded' && packet && <PacketResult packet={packet} />}
      {job.data?.state === 'succeeded' && result.success && (
        <section
          className={`card verdict-card ${verdictClass[verdictOf(result.data)]}`}
          aria-labelledby="offline-result-heading"
          data-testid="bundle-result"
          data-ok={result.data.ok}
          data-verdict={verdictOf(result.data)}
        >
          <h2 id="offline-result-heading">{verdictHeading[verdictOf(result.data)]}</h2>
          {verdictOf(result.data) === 'cannot-verify' && (
            <p role="note">
              This says nothing about any bundle: the folder could not be read as one. Check the path (an export is a
              directory holding <code>manifest.json</code>), then verify again.
            </p>
          )}
          {result.data.ok && !result.data.key?.pinned && (
            <p role="note" data-testid="unpinned-warning">
              Every hash, proof and signature is consistent, but with the key shipped inside the bundle: whoever
              re-signed a forged bundle would pass this check too. Paste the tenant&apos;s public key (
              <code>npx cavra evidence key</code> on the source machine) to prove who signed it.
            </p>
          )}
          {result.data.failure && (
            <p role="alert">
              {result.data.failure.file && (
                <>
                  <code>{result.data.failure.file}</code>
                  {result.data.failure.line !== undefined && <> line {result.data.failure.line}</>}
                  {result.data.failure.seq !== undefined && <> (record {result.data.failure.seq})</>}:{' '}
                </>
              )}
              {result.data.failure.reason}
            </p>
          )}
          {verdictOf(result.data) !== 'cannot-verify' && (
            <dl className="facts">
              <dt>Tenant</dt>
              <dd>{result.data.tenant ?? '—'}</dd>
              <dt>Log origin</dt>
              <dd>{result.data.origin ?? '—'}</dd>
              <dt>Signing key</dt>
              <dd>
                {result.data.key ? (
                  <>
                    <code>{result.data.key.keyId}</code>{' '}
                    {result.data.key.pinned ? '(pinned by you)' : '(from the bundle: not pinned)'}
                  </>
                ) : (
                  '—'
                )}
              </dd>
              <dt>Checked</dt>
              <dd>
                {Object.entries(result.data.checked)
                  .map(([what, count]) => `${count.toLocaleString()} ${checkedLabels[what] ?? what}`)
                  .join(' · ')}
              </dd>
            </dl>
          )}
          {result.data.attestations && result.data.attestations.length > 0 && (
            <AttestedVerdicts verdicts={result.data.attestations} />
          )}
          {result.data.warnings.length > 0 && (
            <ul>
              {result.data.warnings.map((warning) => (
                <li key={warning}>{warning}</li>
              ))}
            </ul>
          )}
        </section>
      )}
    </div>
  );
}

/**
 * Three outcomes, never two: a bundle that verifies, one that fails a check (altered), and
 * input the verifier could not read as a bundle at all (missing folder, not a bundle, a newer
 * format), which is no verdict on any bundle.
 */
type Verdict = 'pinned' | 'unpinned' | 'fails' | 'cannot-verify';

function verdictOf(result: {
  ok: boolean;
  failure: { kind: 'input' | 'integrity' } | null;
  key: { pinned: boolean } | null;
}): Verdict {
  if (!result.ok) return result.failure?.kind === 'input' ? 'cannot-verify' : 'fails';
  return result.key?.pinned ? 'pinned' : 'unpinned';
}

const verdictHeading: Record<Verdict, string> = {
  pinned: 'Bundle verified against your pinned key',
  unpinned: 'Bundle verified against its own key (not pinned)',
  fails: 'Bundle does NOT verify',
  'cannot-verify': 'Cannot verify: this is not a bundle the verifier can read',
};

const verdictClass: Record<Verdict, string> = {
  pinned: 'verdict-allow',
  unpinned: 'verdict-require_approval',
  fails: 'verdict-deny',
  'cannot-verify': 'verdict-unknown',
};

/** The verifier's counters, in words. */
const checkedLabels: Record<string, string> = {
  records: 'records',
  inclusionProofs: 'inclusion proofs',
  checkpoints: 'signed checkpoints',
  consistencyProofs: 'consistency proofs',
  tombstones: 'tombstones',
  files: 'file digests',
  recomputedRoots: 'roots recomputed from records',
};

const statusClass: Record<string, string> = {
  pass: 'badge badge-allow',
  warn: 'badge badge-warn',
  blocker: 'badge badge-deny',
};

/** A readiness or closeout packet: the verdict, what was checked, and what the packet says. */
function PacketResult({ packet }: { packet: PacketVerificationView }) {
  const what = packet.kind === 'closeout' ? 'Trial closeout packet' : 'Readiness packet';
  const verdict = !packet.ok ? 'fails' : packet.key?.pinned ? 'pinned' : 'unpinned';
  const heading = !packet.ok
    ? `${packet.kind ? what : 'Packet'} does NOT verify`
    : `${what} verified ${packet.key?.pinned ? 'against your pinned key' : 'against its own key (not pinned)'}`;
  const c = packet.closeout;
  return (
    <section
      className={`card verdict-card ${verdictClass[verdict]}`}
      aria-labelledby="packet-result-heading"
      data-testid="packet-verification"
      data-ok={packet.ok}
      data-kind={packet.kind ?? 'unknown'}
      data-ready={packet.readyForAispmProduction === null ? 'unknown' : String(packet.readyForAispmProduction)}
    >
      <h2 id="packet-result-heading">{heading}</h2>
      {!packet.ok && (
        <p role="alert">
          Refused: {packet.failure}. Nothing this packet says can be relied on; ask for a fresh export.
        </p>
      )}
      {packet.ok && !packet.key?.pinned && (
        <p role="note">
          Consistent, but checked with the key shipped inside the bundle: a forger who re-signed everything would pass
          too. Paste the tenant&apos;s public key to prove who signed it.
        </p>
      )}
      {packet.ok && (
        <>
          <dl className="facts">
            <dt>Tenant</dt>
            <dd>{packet.tenant ?? '—'}</dd>
            <dt>Ready for AISPM production</dt>
            <dd>
              <strong>{String(packet.readyForAispmProduction)}</strong>
              {packet.blockers.length > 0 && ` (${packet.blockers.length} blockers)`}
            </dd>
            {c && (
              <>
                <dt>Closed out</dt>
                <dd>
                  {new Date(c.closedAt).toLocaleString()} by <code>{c.by}</code>
                </dd>
                <dt>Pilot decision</dt>
                <dd>
                  <strong>{c.pilotDecision}</strong>
                </dd>
                <dt>License</dt>
                <dd>
                  {c.license.licenseId ?? 'none'}: {c.license.outcome} (entitlement {c.license.status}
                  {c.license.expiresAt ? `, expires ${new Date(c.license.expiresAt).toLocaleDateString()}` : ''})
                </dd>
                <dt>Package access</dt>
                <dd>
                  {c.packageAccess.removed ? 'Removed' : 'Kept'}: {c.packageAccess.detail}
                </dd>
                <dt>Evaluator feedback</dt>
                <dd className="prewrap">{c.feedback}</dd>
              </>
            )}
            <dt>Signing key</dt>
            <dd>
              <code>{packet.key?.keyId ?? '—'}</code>{' '}
              {packet.key?.pinned ? '(pinned by you)' : '(from the bundle: not pinned)'}
            </dd>
          </dl>
          <h3>What was verified</h3>
          <ul className="small" data-testid="packet-checked">
            {packet.checked.map((line) => (
              <li key={line}>{line}</li>
            ))}
          </ul>
          {packet.blockers.length > 0 && (
            <>
              <h3>{c ? 'Remaining blockers' : 'Blockers'}</h3>
              <ul data-testid="packet-blockers">
                {packet.blockers.map((b) => (
                  <li key={b.validator}>
                    <strong>{b.validator}</strong>: {b.message}
                  </li>
                ))}
              </ul>
            </>
          )}
          <h3>Validators</h3>
          <ul className="packet-validators" data-testid="packet-validators">
            {packet.validators.map((v) => (
              <li key={v.id} data-validator={v.id} data-status={v.status}>
                <span className={statusClass[v.status] ?? 'badge'}>{v.status}</span> <strong>{v.id}</strong>{' '}
                <span className="small muted">(record {v.record})</span>
                <div className="small">{v.message}</div>
              </li>
            ))}
          </ul>
        </>
      )}
      {packet.warnings.length > 0 && (
        <ul>
          {packet.warnings.map((warning) => (
            <li key={warning}>{warning}</li>
          ))}
        </ul>
      )}
    </section>
  );
}

/**
 * Per approval verdict the IdP attested: the human it authenticated, when, and whether the ID
 * token was issued for this exact request, action and verdict — checked with the IdP keys the
 * bundle carries, on this machine.
 */
function AttestedVerdicts({ verdicts }: { verdicts: AttestedVerdictView[] }) {
  return (
    <section aria-labelledby="offline-attested-heading" data-testid="attested-verdicts">
      <h3 id="offline-attested-heading">Approval verdicts attested by the IdP ({verdicts.length})</h3>
      <ul>
        {verdicts.map((verdict) => (
          <li key={verdict.seq} data-testid="attested-verdict" data-ok={verdict.ok}>
            <strong>{verdict.ok ? 'Verified' : 'Does not verify'}</strong>: {verdict.event} of request{' '}
            <code>{verdict.requestId}</code> (record {verdict.seq}) by {verdict.name ?? verdict.subject ?? verdict.by}
            {verdict.subject && (
              <>
                {' '}
                (IdP subject <code>{verdict.subject}</code>)
              </>
            )}
            {verdict.issuer && <>, authenticated by {verdict.issuer}</>}
            {verdict.authTime && <> at {verdict.authTime}</>}; token issued for action{' '}
            <code>{verdict.actionSha256.slice(0, 12)}…</code>
            {!verdict.ok && verdict.problems.length > 0 && <> — {verdict.problems.join('; ')}</>}
          </li>
        ))}
      </ul>
    </section>
  );
}
