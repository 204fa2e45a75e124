import { useState } from 'react';
import { bundleVerificationSchema } from '../../../core/contract';
import { useStartBundleVerify } from '../../api/evidence';
import { useJob } from '../../api/jobs';
import { Field, SubmitRow } from '../../components/form/Field';
import { useContractForm } from '../../components/form/useContractForm';
import { JobProgress } from '../../components/JobProgress';
import { useShortcuts } from '../../components/shortcuts';
import { useUi } from '../../state/ui';

/** Verify an exported bundle from disk on its own: no tenant data, no network (SPEC §6). */
export function OfflineReviewScreen() {
  const tenant = useUi((state) => state.tenant);
  const announce = useUi((state) => state.announce);
  const [jobId, setJobId] = useState<string | null>(null);
  const start = useStartBundleVerify(tenant);
  const job = useJob(tenant, jobId);
  const result = bundleVerificationSchema.safeParse(job.data?.result);
  const form = useContractForm('evidence.bundle.verify', {
    initial: { path: '', trustedKey: '' },
    labels: { path: 'Bundle directory', trustedKey: 'Trusted public key' },
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
        announce('Bundle verification started');
      },
      onError: (error) => form.showError(error),
    }),
  );

  return (
    <div className="stack wide">
      <section className="card" aria-labelledby="offline-heading">
        <h2 id="offline-heading">Open an exported bundle</h2>
        <p className="muted small">
          Checks every record hash, chain link, inclusion and consistency proof, checkpoint signature, the manifest and
          the DSSE envelope using only the bundle&apos;s files. Pin the tenant&apos;s public key to detect a bundle
          re-signed with another key.
        </p>
        <form className="form wide-form" onSubmit={submit} noValidate>
          <Field form={form} name="path">
            {(describedBy) => (
              <input
                {...form.textProps('path')}
                aria-describedby={describedBy}
                spellCheck={false}
                placeholder="/media/usb/evidence-20261125T101500Z"
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
            label="Verify bundle"
            pendingLabel="Verifying…"
            pending={start.isPending || job.data?.state === 'running'}
          />
        </form>
        {job.data && <JobProgress job={job.data} label="Bundle verification" />}
      </section>
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
