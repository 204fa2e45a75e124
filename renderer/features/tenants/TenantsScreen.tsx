import { useCreateTenant, useSystemInfo, useTenants } from '../../api/queries';
import { Field, SubmitRow } from '../../components/form/Field';
import { useContractForm } from '../../components/form/useContractForm';
import { useShortcuts } from '../../components/shortcuts';
import { useUi } from '../../state/ui';
import { AccessSection } from './AccessSection';
import { OnboardingWizard } from './OnboardingWizard';

export function TenantsScreen() {
  const info = useSystemInfo();
  // Creating and onboarding tenants is for install administrators; the core refuses everyone else.
  const installAdmin = info.data?.installRoles.includes('install_admin') ?? false;
  return (
    <div className="stack">
      <SystemCard />
      <TenantList />
      <AccessSection />
      {installAdmin && <OnboardingWizard />}
      {installAdmin && <CreateTenantForm />}
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
  const form = useContractForm('tenants.create', {
    initial: { id: '', displayName: '' },
    labels: { id: 'Tenant ID', displayName: 'Display name' },
  });
  useShortcuts('Tenants and access', [
    {
      keys: 'n',
      key: 'n',
      description: 'New tenant: go to the Tenant ID field',
      run: () => focusField(form.idOf('id')),
    },
  ]);

  const submit = form.onSubmit((input) =>
    create.mutate(input, {
      onSuccess: (tenant) => {
        announce(`Tenant ${tenant.id} created`);
        form.reset();
      },
      onError: (failure) => {
        form.showError(failure);
        announce(`Tenant not created: ${failure.message}`);
      },
    }),
  );

  return (
    <section className="card" aria-labelledby="create-heading">
      <h2 id="create-heading">Create a tenant</h2>
      <form className="form" onSubmit={submit} noValidate data-testid="create-tenant-form">
        <Field
          form={form}
          name="id"
          hint={
            <>
              Lowercase letters, digits and hyphens, for example <code>acme-eval</code>.
            </>
          }
        >
          {(describedBy) => (
            <input {...form.textProps('id')} aria-describedby={describedBy} autoComplete="off" spellCheck={false} />
          )}
        </Field>
        <Field form={form} name="displayName">
          {(describedBy) => (
            <input {...form.textProps('displayName')} aria-describedby={describedBy} autoComplete="off" />
          )}
        </Field>
        <SubmitRow form={form} label="Create tenant" pendingLabel="Creating…" pending={create.isPending} />
      </form>
    </section>
  );
}

function focusField(id: string): void {
  const field = document.getElementById(id);
  field?.scrollIntoView({ block: 'center' });
  field?.focus();
}
