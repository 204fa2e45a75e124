import { useState } from 'react';
import { exportResultSchema, verificationSchema } from '../../../core/contract';
import { useStartExport, useStartLedgerVerify } from '../../api/evidence';
import { useJob } from '../../api/jobs';
import { JobProgress } from '../../components/JobProgress';
import { useUi } from '../../state/ui';

/** Verify the stored ledger and export a signed bundle, both as jobs with progress and Cancel. */
export function LedgerActions({ tenant }: { tenant: string }) {
  const announce = useUi((state) => state.announce);
  const verify = useStartLedgerVerify(tenant);
  const exporter = useStartExport(tenant);
  const [verifyJob, setVerifyJob] = useState<string | null>(null);
  const [exportJob, setExportJob] = useState<string | null>(null);
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const verifying = useJob(tenant, verifyJob);
  const exporting = useJob(tenant, exportJob);
  const verification = verificationSchema.safeParse(verifying.data?.result);
  const exported = exportResultSchema.safeParse(exporting.data?.result);
  const toIso = (local: string) => (local ? new Date(local).toISOString() : undefined);

  return (
    <section className="card" aria-labelledby="ledger-actions-heading">
      <h2 id="ledger-actions-heading">Verify and export</h2>
      <div className="two-col">
        <div className="stack-tight">
          <p className="muted small">
            Recomputes every hash, chain link, Merkle root, checkpoint signature and tombstone from the stored records.
          </p>
          <button
            type="button"
            className="primary"
            disabled={verify.isPending || verifying.data?.state === 'running'}
            onClick={() =>
              verify.mutate(undefined, {
                onSuccess: ({ jobId }) => {
                  setVerifyJob(jobId);
                  announce('Ledger verification started');
                },
              })
            }
          >
            Verify ledger
          </button>
          {verify.isError && <p className="field-error">{verify.error.message}</p>}
          {verifying.data && <JobProgress job={verifying.data} label="Ledger verification" />}
          {verifying.data?.state === 'succeeded' && verification.success && (
            <div
              className={`notice ${verification.data.ok ? 'notice-allow' : 'notice-deny'}`}
              role="status"
              data-testid="verify-result"
            >
              {verification.data.ok
                ? `Verified: ${verification.data.size.toLocaleString()} records and ${verification.data.checkpoints} signed checkpoints.${
                    verification.data.lastCheckpoint && verification.data.lastCheckpoint.size >= verification.data.size
                      ? ''
                      : ' Records after the last signed checkpoint are chained but not yet signed; export or wait for the next checkpoint.'
                  }`
                : `Verification FAILED${verification.data.seq === null ? '' : ` at record ${verification.data.seq}`}: ${verification.data.reason}`}
            </div>
          )}
        </div>
        <div className="stack-tight">
          <p className="muted small">
            Writes a signed bundle (records, checkpoints, proofs, public key, manifest, DSSE statement) to the tenant
            archive. Leave the range empty to export everything.
          </p>
          <div className="toolbar tight">
            <label className="inline-field">
              <span>From</span>
              <input type="datetime-local" value={from} onChange={(event) => setFrom(event.target.value)} />
            </label>
            <label className="inline-field">
              <span>To</span>
              <input type="datetime-local" value={to} onChange={(event) => setTo(event.target.value)} />
            </label>
          </div>
          <button
            type="button"
            className="primary"
            disabled={exporter.isPending || exporting.data?.state === 'running'}
            onClick={() =>
              exporter.mutate(
                { from: toIso(from), to: toIso(to) },
                {
                  onSuccess: ({ jobId }) => {
                    setExportJob(jobId);
                    announce('Evidence export started');
                  },
                },
              )
            }
          >
            Export bundle
          </button>
          {exporter.isError && <p className="field-error">{exporter.error.message}</p>}
          {exporting.data && <JobProgress job={exporting.data} label="Evidence export" />}
          {exporting.data?.state === 'succeeded' && exported.success && (
            <div className="notice notice-allow" role="status" data-testid="export-result">
              Exported {exported.data.count.toLocaleString()} records (#{exported.data.fromSeq}–#{exported.data.toSeq})
              to <code>{exported.data.dir}</code>
              <div className="small">
                manifest sha256 <code>{exported.data.manifestSha256}</code>
              </div>
            </div>
          )}
        </div>
      </div>
    </section>
  );
}
