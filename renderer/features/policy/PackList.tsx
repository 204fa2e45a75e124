import { useState } from 'react';
import { useAssignment, usePacks } from '../../api/policy';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useUi } from '../../state/ui';

export function PackList({
  tenant,
  selected,
  onSelect,
}: {
  tenant: string;
  selected: string | null;
  onSelect: (packId: string) => void;
}) {
  const packs = usePacks(tenant);
  const assignment = useAssignment(tenant);
  const announce = useUi((state) => state.announce);
  // Removing a pack loosens enforcement for the whole tenant: it is confirmed first.
  const [unassigning, setUnassigning] = useState<string | null>(null);

  function toggle(packId: string, assigned: boolean) {
    assignment.mutate(
      { packId, repository: null, assign: !assigned },
      {
        onSuccess: () => announce(`${packId} ${assigned ? 'removed from' : 'assigned to'} the whole tenant`),
        onError: (error) => announce(`${packId} not changed: ${error.message}`),
      },
    );
  }

  return (
    <section className="card" aria-labelledby="packs-heading">
      <h2 id="packs-heading">Packs</h2>
      {packs.isError && <p role="alert">{packs.error.message}</p>}
      {assignment.isError && <p className="field-error">{assignment.error.message}</p>}
      {packs.data && packs.data.rejected.length > 0 && (
        <div className="notice notice-deny" role="alert">
          <strong>Rejected pack files (not active):</strong>
          <ul>
            {packs.data.rejected.map((error) => (
              <li key={error}>
                <code>{error}</code>
              </li>
            ))}
          </ul>
        </div>
      )}
      <table className="table" data-testid="pack-table">
        <thead>
          <tr>
            <th scope="col">Pack</th>
            <th scope="col" className="wide-only">
              Version
            </th>
            <th scope="col" className="wide-only">
              Mode
            </th>
            <th scope="col" className="wide-only">
              Rules
            </th>
            <th scope="col">Tests</th>
            <th scope="col">Assigned to</th>
            <th scope="col">
              <span className="sr-only">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {packs.isLoading && (
            <tr>
              <td colSpan={7} className="muted">
                Loading…
              </td>
            </tr>
          )}
          {packs.data?.packs.map((pack) => {
            const tenantWide = pack.assignments.includes(null);
            const repos = pack.assignments.filter((a): a is string => a !== null);
            return (
              <tr key={pack.id} data-pack-id={pack.id} aria-selected={pack.id === selected}>
                <td>
                  <button type="button" className="link" onClick={() => onSelect(pack.id)}>
                    {pack.id}
                  </button>
                  <div className="muted small">{pack.description}</div>
                  <div className="muted small narrow-only">
                    {pack.version} · {pack.mode} · {pack.ruleCount} rules{pack.signedBy ? ' · signed' : ''}
                  </div>
                  {pack.loadError && <div className="field-error small">Newer file rejected: {pack.loadError}</div>}
                </td>
                <td className="wide-only">
                  <code>{pack.version}</code>
                  {pack.signedBy && <span className="badge">signed</span>}
                </td>
                <td className="wide-only">{pack.mode}</td>
                <td className="wide-only">{pack.ruleCount}</td>
                <td>
                  <span
                    className={`badge ${pack.tests.status === 'failed' ? 'badge-deny' : pack.tests.status === 'passed' ? 'badge-allow' : ''}`}
                  >
                    {pack.tests.status === 'none'
                      ? 'no tests'
                      : `${pack.tests.passed}/${pack.tests.passed + pack.tests.failed} passed`}
                  </span>
                </td>
                <td>
                  {tenantWide ? (
                    'Whole tenant'
                  ) : repos.length === 0 ? (
                    <span className="muted">Not assigned</span>
                  ) : null}
                  {repos.map((repo) => (
                    <span key={repo} className="badge">
                      {repo}
                    </span>
                  ))}
                </td>
                <td>
                  <button
                    type="button"
                    className="secondary"
                    disabled={assignment.isPending}
                    onClick={() => (tenantWide ? setUnassigning(pack.id) : toggle(pack.id, false))}
                    aria-label={`${tenantWide ? 'Unassign' : 'Assign'} ${pack.id} ${tenantWide ? 'from' : 'to'} the whole tenant`}
                  >
                    {tenantWide ? 'Unassign' : 'Assign'}
                  </button>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {unassigning && (
        <ConfirmDialog
          title={`Unassign ${unassigning} from the whole tenant?`}
          confirmLabel="Unassign"
          tone="danger"
          disabled={assignment.isPending}
          onConfirm={() => {
            toggle(unassigning, true);
            setUnassigning(null);
          }}
          onCancel={() => setUnassigning(null)}
        >
          <p>
            Actions its rules deny or send for approval will then be judged only by the remaining packs. The change is
            recorded as evidence.
          </p>
        </ConfirmDialog>
      )}
    </section>
  );
}
