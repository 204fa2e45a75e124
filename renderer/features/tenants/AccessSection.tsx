import { useState } from 'react';
import type { FormEvent } from 'react';
import { roles as allRoles } from '../../../core/contract';
import type { Role, RoleMapping, TenantProfile } from '../../../core/contract';
import {
  useBeginSignIn,
  useMembers,
  useSessionStatus,
  useTenantProfile,
  useTenantStatus,
  useUpdateProfile,
} from '../../api/access';
import { useSystemInfo } from '../../api/queries';
import { useUi } from '../../state/ui';

/** The current tenant's access: its record's status, SSO, role mappings and members (SPEC §7, §12). */
export function AccessSection() {
  const tenant = useUi((state) => state.tenant);
  const info = useSystemInfo();
  const held = info.data?.tenants.find((t) => t.id === tenant)?.roles ?? [];
  // Controls follow the caller's roles; the core refuses the operations to anyone else anyway.
  const admin = held.includes('tenant_admin');
  if (!tenant) return null;
  return (
    <>
      <StatusCard tenant={tenant} />
      <SsoCard tenant={tenant} admin={admin} />
      <RoleMappingsCard tenant={tenant} admin={admin} />
      {admin && <MembersCard tenant={tenant} />}
    </>
  );
}

function StatusCard({ tenant }: { tenant: string }) {
  const status = useTenantStatus(tenant);
  return (
    <section className="card" aria-labelledby="status-heading">
      <h2 id="status-heading">
        Tenant record: {status.data ? (status.data.complete ? 'complete' : 'incomplete') : '…'}
      </h2>
      {status.isError && <p role="alert">{status.error.message}</p>}
      <ul className="plain checklist" data-testid="tenant-status">
        {status.data?.items.map((item) => (
          <li key={item.item}>
            <span className={item.done ? 'badge' : 'badge badge-warn'}>{item.done ? 'Done' : 'Missing'}</span>
            <strong>{item.item.replace(/_/g, ' ')}</strong> <span className="muted">{item.detail}</span>
          </li>
        ))}
      </ul>
    </section>
  );
}

function testResultFromHash(): { user: string; groups: string; roles: string } | null {
  const params = new URLSearchParams(window.location.hash.slice(1));
  if (params.get('sso-test') !== 'ok') return null;
  return { user: params.get('user') ?? '', groups: params.get('groups') ?? '', roles: params.get('roles') ?? '' };
}

function SsoCard({ tenant, admin }: { tenant: string; admin: boolean }) {
  const profile = useTenantProfile(tenant);
  const sso = profile.data?.sso ?? null;
  const [tested] = useState(testResultFromHash);
  return (
    <section className="card" aria-labelledby="sso-card-heading">
      <h2 id="sso-card-heading">Single sign-on</h2>
      {profile.isError && <p role="alert">{profile.error.message}</p>}
      {tested && (
        <p role="status" data-testid="sso-test-result">
          Test sign-in succeeded as {tested.user}: groups {tested.groups || 'none'}, roles {tested.roles || 'none'}. No
          session was opened.
        </p>
      )}
      {sso ? (
        <dl className="facts">
          <dt>Issuer</dt>
          <dd>
            <code>{sso.issuer}</code>
          </dd>
          <dt>Client ID</dt>
          <dd>
            <code>{sso.client_id}</code>
          </dd>
          <dt>Scopes</dt>
          <dd>openid {sso.scopes.join(' ')}</dd>
          <dt>Groups claim</dt>
          <dd>
            <code>{sso.groups_claim}</code>
          </dd>
        </dl>
      ) : (
        profile.data && <p className="muted">No IdP configured: only the local evaluation identity can sign in.</p>
      )}
      {admin && profile.data && <SsoForm tenant={tenant} current={profile.data} />}
    </section>
  );
}

function SsoForm({ tenant, current }: { tenant: string; current: TenantProfile }) {
  const update = useUpdateProfile(tenant);
  const begin = useBeginSignIn();
  const status = useSessionStatus();
  const announce = useUi((state) => state.announce);
  const [issuer, setIssuer] = useState(current.sso?.issuer ?? '');
  const [clientId, setClientId] = useState(current.sso?.client_id ?? '');
  const [scopes, setScopes] = useState(current.sso?.scopes.join(' ') ?? 'profile email groups offline_access');
  const [groupsClaim, setGroupsClaim] = useState(current.sso?.groups_claim ?? 'groups');
  const error = update.error ?? begin.error;

  function save(event: FormEvent) {
    event.preventDefault();
    update.mutate(
      {
        sso: {
          issuer,
          client_id: clientId,
          scopes: scopes.split(/\s+/).filter((scope) => scope && scope !== 'openid'),
          groups_claim: groupsClaim,
        },
      },
      { onSuccess: () => announce('SSO configuration saved'), onError: (e) => announce(`Not saved: ${e.message}`) },
    );
  }

  function testSignIn() {
    begin.mutate(
      { tenant, test: true },
      {
        onSuccess: ({ authorizationUrl }) => {
          if (status.data?.shell === 'browser') window.location.assign(authorizationUrl);
          else announce('Continue the test sign-in in your browser');
        },
      },
    );
  }

  return (
    <form className="form" onSubmit={save} aria-label="SSO configuration" noValidate>
      <div className="field">
        <label htmlFor="sso-issuer">Issuer URL</label>
        <input id="sso-issuer" value={issuer} onChange={(e) => setIssuer(e.target.value)} spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor="sso-client">Client ID</label>
        <input id="sso-client" value={clientId} onChange={(e) => setClientId(e.target.value)} spellCheck={false} />
        <p className="hint">A public native client (no secret) allowing http://127.0.0.1/…/callback on any port.</p>
      </div>
      <div className="field">
        <label htmlFor="sso-scopes">Scopes (besides openid)</label>
        <input id="sso-scopes" value={scopes} onChange={(e) => setScopes(e.target.value)} spellCheck={false} />
      </div>
      <div className="field">
        <label htmlFor="sso-groups">Groups claim</label>
        <input
          id="sso-groups"
          value={groupsClaim}
          onChange={(e) => setGroupsClaim(e.target.value)}
          spellCheck={false}
        />
      </div>
      {error && (
        <p className="field-error" role="alert">
          {error.message}
        </p>
      )}
      <div className="actions">
        <button type="submit" className="primary" disabled={update.isPending}>
          Save SSO configuration
        </button>
        <button type="button" className="secondary" onClick={testSignIn} disabled={begin.isPending || !current.sso}>
          Test sign-in
        </button>
      </div>
    </form>
  );
}

function RoleMappingsCard({ tenant, admin }: { tenant: string; admin: boolean }) {
  const profile = useTenantProfile(tenant);
  const update = useUpdateProfile(tenant);
  const announce = useUi((state) => state.announce);
  const mappings = profile.data?.role_mappings ?? [];
  const [group, setGroup] = useState('');
  const [picked, setPicked] = useState<Role[]>([]);

  function save(next: RoleMapping[], said: string) {
    update.mutate(
      { role_mappings: next },
      { onSuccess: () => announce(said), onError: (e) => announce(`Not saved: ${e.message}`) },
    );
  }

  function add(event: FormEvent) {
    event.preventDefault();
    save(
      [...mappings.filter((m) => m.group !== group.trim()), { group: group.trim(), roles: picked }],
      `Mapping for ${group} saved`,
    );
    setGroup('');
    setPicked([]);
  }

  return (
    <section className="card" aria-labelledby="mappings-heading">
      <h2 id="mappings-heading">Role mappings</h2>
      {mappings.length === 0 ? (
        <p className="muted">No IdP group maps to a role yet.</p>
      ) : (
        <table className="table">
          <thead>
            <tr>
              <th scope="col">IdP group</th>
              <th scope="col">Roles</th>
              {admin && <th scope="col">Change</th>}
            </tr>
          </thead>
          <tbody>
            {mappings.map((mapping) => (
              <tr key={mapping.group}>
                <td>
                  <code>{mapping.group}</code>
                </td>
                <td className="roles">{mapping.roles.join(', ')}</td>
                {admin && (
                  <td>
                    <button
                      type="button"
                      className="secondary small"
                      onClick={() =>
                        save(
                          mappings.filter((m) => m.group !== mapping.group),
                          `Mapping for ${mapping.group} removed`,
                        )
                      }
                    >
                      Remove {mapping.group}
                    </button>
                  </td>
                )}
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {admin && (
        <form className="form" onSubmit={add} aria-label="Add a role mapping" noValidate>
          <div className="field">
            <label htmlFor="mapping-group">IdP group</label>
            <input id="mapping-group" value={group} onChange={(e) => setGroup(e.target.value)} spellCheck={false} />
          </div>
          <fieldset className="field role-picks">
            <legend>Roles</legend>
            {allRoles.map((role) => (
              <label key={role}>
                <input
                  type="checkbox"
                  checked={picked.includes(role)}
                  onChange={(e) => setPicked(e.target.checked ? [...picked, role] : picked.filter((r) => r !== role))}
                />{' '}
                {role}
              </label>
            ))}
          </fieldset>
          {update.error && (
            <p className="field-error" role="alert">
              {update.error.message}
            </p>
          )}
          <div className="actions">
            <button
              type="submit"
              className="primary"
              disabled={update.isPending || group.trim() === '' || picked.length === 0}
            >
              Add mapping
            </button>
          </div>
        </form>
      )}
    </section>
  );
}

function MembersCard({ tenant }: { tenant: string }) {
  const members = useMembers(tenant, true);
  return (
    <section className="card" aria-labelledby="members-heading">
      <h2 id="members-heading">Members seen so far</h2>
      {members.isError && <p role="alert">{members.error.message}</p>}
      <table className="table" data-testid="members">
        <thead>
          <tr>
            <th scope="col">Who</th>
            <th scope="col">Kind</th>
            <th scope="col">Roles</th>
            <th scope="col">Last sign-in</th>
          </tr>
        </thead>
        <tbody>
          {members.data?.members.map((member) => (
            <tr key={member.principalId}>
              <td>{member.displayName}</td>
              <td>{member.kind === 'local_evaluation' ? 'local evaluation' : member.kind}</td>
              <td className="roles">{member.roles.join(', ')}</td>
              <td>{member.lastLoginAt ? new Date(member.lastLoginAt).toLocaleString() : 'never'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
