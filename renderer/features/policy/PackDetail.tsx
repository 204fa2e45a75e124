import { useEffect, useRef, useState } from 'react';
import { useAssignment, usePack, usePackTest } from '../../api/policy';
import { DecisionBadge, SeverityBadge } from '../../components/DecisionBadge';
import { Field, SubmitRow } from '../../components/form/Field';
import { useContractForm } from '../../components/form/useContractForm';
import { useUi } from '../../state/ui';

export function PackDetail({ tenant, packId, onClose }: { tenant: string; packId: string; onClose: () => void }) {
  const pack = usePack(tenant, packId);
  const test = usePackTest(tenant);
  const [filter, setFilter] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);
  // Opening a pack moves focus (and the view) to its rules.
  useEffect(() => heading.current?.focus(), [packId]);
  const rules = (pack.data?.rules ?? []).filter((rule) =>
    `${rule.id} ${rule.reason} ${rule.conditions.join(' ')}`.toLowerCase().includes(filter.toLowerCase()),
  );

  return (
    <section className="card" aria-labelledby="pack-detail-heading" data-testid="pack-detail">
      <div className="card-head">
        <h2 id="pack-detail-heading" ref={heading} tabIndex={-1}>
          {packId} {pack.data && <code>{pack.data.pack.version}</code>}
        </h2>
        <button type="button" className="secondary" onClick={onClose}>
          Close
        </button>
      </div>
      {pack.isError && <p role="alert">{pack.error.message}</p>}
      {pack.data && (
        <>
          <p className="muted">{pack.data.pack.description}</p>
          <dl className="facts">
            <dt>When no rule matches</dt>
            <dd>{pack.data.defaults ? <DecisionBadge decision={pack.data.defaults.decision} /> : 'Tenant default'}</dd>
            <dt>Protected branches</dt>
            <dd>{pack.data.protectedBranches.length ? pack.data.protectedBranches.join(', ') : '—'}</dd>
            <dt>Approval routes</dt>
            <dd>
              {pack.data.approvalRoutes.length
                ? pack.data.approvalRoutes
                    .map(
                      (r) =>
                        `${r.name} (${r.requiredApprovals} of ${r.approvers.join('/')}, expires ${r.expiresAfter})`,
                    )
                    .join('; ')
                : '—'}
            </dd>
            <dt>Source</dt>
            <dd>
              {pack.data.pack.source} <code>{pack.data.pack.origin}</code>
            </dd>
          </dl>
          <RepositoryAssignment tenant={tenant} packId={packId} />
          <div className="toolbar">
            <label className="inline-field">
              <span>Filter rules</span>
              <input value={filter} onChange={(event) => setFilter(event.target.value)} type="search" />
            </label>
            <button type="button" className="secondary" onClick={() => test.mutate(packId)} disabled={test.isPending}>
              {test.isPending ? 'Running tests…' : 'Run pack tests'}
            </button>
          </div>
          {test.data && (
            <div className={`notice ${test.data.failed ? 'notice-deny' : 'notice-allow'}`} role="status">
              {test.data.passed} passed, {test.data.failed} failed
              {test.data.failed > 0 && (
                <ul>
                  {test.data.results
                    .filter((r) => !r.ok)
                    .map((r) => (
                      <li key={r.name}>
                        {r.name}: expected {r.expect}, got {r.got}. {r.message}
                      </li>
                    ))}
                </ul>
              )}
            </div>
          )}
          <div className="table-scroll">
            <table className="table" data-testid="rule-table">
              <caption className="sr-only">Rules of {packId}</caption>
              <thead>
                <tr>
                  <th scope="col">Rule</th>
                  <th scope="col">Applies to</th>
                  <th scope="col">Conditions</th>
                  <th scope="col">Decision</th>
                  <th scope="col">Severity</th>
                </tr>
              </thead>
              <tbody>
                {rules.map((rule) => (
                  <tr key={rule.id}>
                    <td>
                      <code>{rule.id}</code>
                      <div className="muted small">{rule.reason}</div>
                    </td>
                    <td>{rule.actions.join(', ')}</td>
                    <td>
                      <ul className="plain">
                        {rule.conditions.map((condition) => (
                          <li key={condition}>
                            <code>{condition}</code>
                          </li>
                        ))}
                      </ul>
                    </td>
                    <td>
                      <DecisionBadge decision={rule.decision} />
                      {rule.approvalRoute && <div className="muted small">route: {rule.approvalRoute}</div>}
                    </td>
                    <td>
                      <SeverityBadge severity={rule.severity} />
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      )}
    </section>
  );
}

function RepositoryAssignment({ tenant, packId }: { tenant: string; packId: string }) {
  const assignment = useAssignment(tenant);
  const announce = useUi((state) => state.announce);
  const form = useContractForm('policy.assign', {
    initial: { repository: '' },
    labels: { repository: 'Repository' },
    toInput: ({ repository }) => ({ packId, repository: repository.trim() }),
  });

  const change = (assign: boolean) =>
    form.onSubmit((input) =>
      assignment.mutate(
        { ...input, assign },
        {
          onSuccess: () => {
            announce(`${packId} ${assign ? 'assigned to' : 'removed from'} ${input.repository}`);
            form.reset();
          },
          onError: (error) => {
            form.showError(error);
            announce(`Not changed: ${error.message}`);
          },
        },
      ),
    );

  return (
    <form className="toolbar" onSubmit={change(true)} aria-label="Assign to one repository" noValidate>
      <Field form={form} name="repository">
        {(describedBy) => (
          <input {...form.textProps('repository')} aria-describedby={describedBy} placeholder="payments-api" />
        )}
      </Field>
      <SubmitRow form={form} label="Assign to repository" pending={assignment.isPending} tone="secondary">
        <button type="button" className="secondary" disabled={assignment.isPending} onClick={change(false)}>
          Remove from repository
        </button>
      </SubmitRow>
    </form>
  );
}
