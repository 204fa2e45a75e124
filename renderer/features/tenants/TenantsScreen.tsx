import { useState } from 'react';
import type { FormEvent } from 'react';
import { ContractError } from '../../../core/contract';
import { useCreateTenant, useSystemInfo, useTenants } from '../../api/queries';
import { useUi } from '../../state/ui';

export function TenantsScreen() {
  return (
    <div className="stack">
      <SystemCard />
      <TenantList />
      <CreateTenantForm />
    </div>
  );
}

function SystemCard() {
  const info = useSystemInfo();
  return (
    <section className="card" aria-labelledby="system-heading">
      <h2 id="system-heading">System</h2>
      {info.data ? (
        <dl className="facts">
          <dt>Version</dt>
          <dd data-testid="system-version">{info.data.version}</dd>
          <dt>Data directory</dt>
          <dd data-testid="system-data-dir">
            <code>{info.data.dataDir}</code>
          </dd>
          <dt>Shell</dt>
          <dd>{info.data.shell}</dd>
          <dt>Platform</dt>
          <dd>{info.data.platform}</dd>
          <dt>Runtime gate</dt>
          <dd data-testid="system-gate">
            {info.data.gate.running ? (
              <>
                Listening on <code>{info.data.gate.socketPath}</code>
                {info.data.gate.httpUrl && (
                  <>
                    {' '}
                    and <code>{info.data.gate.httpUrl}</code>
                  </>
                )}
                {info.data.gate.pid !== null && <span className="muted"> (process {info.data.gate.pid})</span>}
              </>
            ) : (
              <>
                Not running. Adapters deny every action until a gate runs: start the console, or{' '}
                <code>npx cavra gate serve</code>.
              </>
            )}
          </dd>
          <dt>Signed in as</dt>
          <dd>
            {info.data.principal.displayName} <code>{info.data.principal.id}</code>
          </dd>
        </dl>
      ) : info.isError ? (
        <p role="alert">{info.error.message}</p>
      ) : (
        <p className="muted">Loading…</p>
      )}
    </section>
  );
}

function TenantList() {
  const tenants = useTenants();
  const info = useSystemInfo();
  return (
    <section className="card" aria-labelledby="tenants-heading">
      <h2 id="tenants-heading">Tenants</h2>
      {tenants.isError && <p role="alert">{tenants.error.message}</p>}
      <table className="table" data-testid="tenant-table">
        <thead>
          <tr>
            <th scope="col">ID</th>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Your roles</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          {tenants.data?.tenants.map((tenant) => (
            <tr key={tenant.id} data-tenant-id={tenant.id}>
              <td>
                <code>{tenant.id}</code>
                {tenant.id === info.data?.defaultTenant && <span className="badge">default</span>}
              </td>
              <td>{tenant.displayName}</td>
              <td>{tenant.kind}</td>
              <td className="roles">{tenant.roles.join(', ')}</td>
              <td>
                <time dateTime={tenant.createdAt}>{new Date(tenant.createdAt).toLocaleString()}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function CreateTenantForm() {
  const create = useCreateTenant();
  const announce = useUi((state) => state.announce);
  const [id, setId] = useState('');
  const [displayName, setDisplayName] = useState('');
  const error =
    create.error instanceof ContractError
      ? create.error
      : create.error
        ? new ContractError('internal', create.error.message)
        : null;
  const fieldError = (field: string) => (error?.field === field ? error.message : null);
  const idError = fieldError('id');
  const nameError = fieldError('displayName');
  const formError = error && !idError && !nameError ? error.message : null;

  function submit(event: FormEvent) {
    event.preventDefault();
    create.mutate(
      { id, displayName },
      {
        onSuccess: (tenant) => {
          announce(`Tenant ${tenant.id} created`);
          setId('');
          setDisplayName('');
        },
        onError: (failure) => announce(`Tenant not created: ${failure.message}`),
      },
    );
  }

  return (
    <section className="card" aria-labelledby="create-heading">
      <h2 id="create-heading">Create a tenant</h2>
      <form className="form" onSubmit={submit} noValidate>
        <div className="field">
          <label htmlFor="tenant-id">Tenant ID</label>
          <input
            id="tenant-id"
            name="id"
            value={id}
            onChange={(event) => setId(event.target.value)}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={idError ? true : undefined}
            aria-describedby={idError ? 'tenant-id-error' : 'tenant-id-hint'}
          />
          {idError ? (
            <p className="field-error" id="tenant-id-error">
              {idError}
            </p>
          ) : (
            <p className="hint" id="tenant-id-hint">
              Lowercase letters, digits and hyphens, for example <code>acme-eval</code>.
            </p>
          )}
        </div>
        <div className="field">
          <label htmlFor="tenant-name">Display name</label>
          <input
            id="tenant-name"
            name="displayName"
            value={displayName}
            onChange={(event) => setDisplayName(event.target.value)}
            autoComplete="off"
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? 'tenant-name-error' : undefined}
          />
          {nameError && (
            <p className="field-error" id="tenant-name-error">
              {nameError}
            </p>
          )}
        </div>
        {formError && <p className="field-error">{formError}</p>}
        <div className="actions">
          <button type="submit" className="primary" disabled={create.isPending}>
            {create.isPending ? 'Creating…' : 'Create tenant'}
          </button>
        </div>
      </form>
    </section>
  );
}
