import { useEffect, useRef } from 'react';
import { useLedgerRecord } from '../../api/evidence';
import { CopyJsonButton, PrintButton } from '../../components/CopyJsonButton';
import { DecisionCard } from '../../components/DecisionCard';

/** Record types the decision card reads in words; the rest show as JSON. */
const CARD_TYPES = new Set(['decision', 'gap']);

export function RecordDetail({ tenant, seq, onClose }: { tenant: string; seq: number; onClose: () => void }) {
  const record = useLedgerRecord(tenant, seq);
  const heading = useRef<HTMLHeadingElement>(null);
  useEffect(() => heading.current?.focus(), [seq]);
  const data = record.data;
  const card =
    data && data.payload !== null && CARD_TYPES.has(String(data.header.type)) ? (
      <DecisionCard
        payload={data.payload}
        raw={false}
        record={{
          tenant,
          seq,
          time: typeof data.header.time === 'string' ? data.header.time : null,
          proof: data.proof ? { size: data.proof.checkpoint.size, root: data.proof.checkpoint.root } : null,
        }}
      />
    ) : null;
  const raw = record.data ? (
    <>
      <h3>Header</h3>
      <pre className="json" tabIndex={0} aria-label="Record header">
        {JSON.stringify(record.data.header, null, 2)}
      </pre>
      <h3>Payload</h3>
      <pre className="json" tabIndex={0} aria-label="Record payload">
        {record.data.payload === null ? '(pruned)' : JSON.stringify(record.data.payload, null, 2)}
      </pre>
    </>
  ) : null;
  return (
    <section className="card" aria-labelledby="record-heading" data-testid="record-detail">
      <div className="card-head">
        <h2 id="record-heading" ref={heading} tabIndex={-1}>
          Record #{seq}
        </h2>
        <div className="actions">
          {record.data && <CopyJsonButton value={record.data} what={`record ${seq}`} />}
          <PrintButton />
          <button type="button" className="secondary" onClick={onClose}>
            Close
          </button>
        </div>
      </div>
      {record.isError && <p role="alert">{record.error.message}</p>}
      {record.data && (
        <>
          {card}
          {card && <h3>Ledger</h3>}
          <dl className="facts">
            <dt>Record hash</dt>
            <dd>
              <code>{record.data.recordHash}</code>
            </dd>
            <dt>Merkle leaf</dt>
            <dd>
              <code>{record.data.leafHash}</code>
            </dd>
            <dt>Inclusion proof</dt>
            <dd data-testid="record-proof" id={`record-${seq}-proof`}>
              {record.data.proof ? (
                <>
                  In signed checkpoint of {record.data.proof.checkpoint.size.toLocaleString()} records (root{' '}
                  <code>{record.data.proof.checkpoint.root}</code>, key{' '}
                  <code>{record.data.proof.checkpoint.keyId}</code>), {record.data.proof.path.length} hashes:
                  <ol className="proof">
                    {record.data.proof.path.map((hash, index) => (
                      <li key={index}>
                        <code>{hash}</code>
                      </li>
                    ))}
                  </ol>
                </>
              ) : (
                'Not yet covered by a signed checkpoint.'
              )}
            </dd>
            {record.data.prunedBy !== null && (
              <>
                <dt>Pruned</dt>
                <dd>Payload removed by retention; tombstone record #{record.data.prunedBy} keeps its hash.</dd>
              </>
            )}
          </dl>
          {card ? (
            <details className="raw-json" data-testid="card-raw">
              <summary>Raw JSON (header and payload)</summary>
              {raw}
            </details>
          ) : (
            raw
          )}
        </>
      )}
    </section>
  );
}
