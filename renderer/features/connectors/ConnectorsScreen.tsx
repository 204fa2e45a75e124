import { useState } from 'react';
import type { FormEvent } from 'react';
import { ContractError, connectorKinds, connectorSecrets } from '../../../core/contract';
import type { ConnectorKind, ConnectorView } from '../../../core/contract';
import {
  useClearSecret,
  useConnectors,
  useRemoveConnector,
  useSaveConnector,
  useSetSecret,
  useTestConnector,
} from '../../api/connectors';
import { ConfirmDialog } from '../../components/ConfirmDialog';
import { useUi } from '../../state/ui';
import { DeliveryAudit } from '../reports/DeliveryAudit';
import { KIND_LABELS, SETTINGS_FIELDS } from './fields';
import type { FieldSpec } from './fields';

export function ConnectorsScreen() {
  const tenant = useUi((state) => state.tenant);
  const connectors = useConnectors(tenant);
  const [editing, setEditing] = useState<ConnectorView | 'new' | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  if (!tenant) return <p className="muted">Select a tenant first.</p>;
  const current = connectors.data?.connectors.find((c) => c.id === selected) ?? null;
  return (
    <div className="stack wide">
      <section className="card" aria-labelledby="connectors-heading">
        <div className="card-head">
          <h2 id="connectors-heading">Connectors</h2>
          <button type="button" className="secondary" onClick={() => setEditing('new')}>
            Add connector
          </button>
        </div>
        {connectors.isError && <p role="alert">{connectors.error.message}</p>}
        <table className="table" data-testid="connector-table">
          <thead>
            <tr>
              <th scope="col">Connector</th>
              <th scope="col">Kind</th>
              <th scope="col">Secrets</th>
              <th scope="col">Health</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {connectors.data?.connectors.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No connectors yet. Reports need an SMTP connector; anchoring needs a mailbox, webhook or witness file.
                </td>
              </tr>
            )}
            {connectors.data?.connectors.map((c) => (
              <tr key={c.id} data-connector={c.id} aria-selected={c.id === selected}>
                <td>
                  <strong>{c.name}</strong> <code>{c.id}</code>
                  {!c.enabled && <span className="badge">disabled</span>}
                  {c.anchor && <span className="badge">anchor</span>}
                </td>
                <td>{KIND_LABELS[c.kind]}</td>
                <td className="small">
                  {c.secrets.length === 0
                    ? 'none needed'
                    : c.secrets.map((s) => (
                        <div key={s.slot}>
                          {s.label}:{' '}
                          <span className={s.set ? 'badge badge-allow' : s.required ? 'badge badge-deny' : 'badge'}>
                            {s.set ? 'set' : 'not set'}
                          </span>
                        </div>
                      ))}
                  {c.keychainError && <div className="field-error">Keychain unavailable: {c.keychainError}</div>}
                </td>
                <td className="small" data-testid={`health-${c.id}`}>
                  {c.health.lastAttemptAt ? (
                    <>
                      <span className={c.health.lastOutcome === 'accepted' ? 'badge badge-allow' : 'badge badge-deny'}>
                        {c.health.lastOutcome}
                      </span>{' '}
                      <time dateTime={c.health.lastAttemptAt}>{new Date(c.health.lastAttemptAt).toLocaleString()}</time>
                      <div className="muted">{c.health.lastText}</div>
                      <div className="muted">
                        7 days: {c.health.recentSuccesses} accepted, {c.health.recentFailures} failed
                      </div>
                    </>
                  ) : (
                    <span className="muted">never used</span>
                  )}
                </td>
                <td>
                  <div className="toolbar tight">
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => setSelected(c.id)}
                      aria-label={`Manage ${c.name}`}
                    >
                      Manage
                    </button>
                    <button
                      type="button"
                      className="secondary"
                      onClick={() => setEditing(c)}
                      aria-label={`Edit ${c.name}`}
                    >
                      Edit
                    </button>
                  </div>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </section>
      {editing && (
        <ConnectorForm
          tenant={tenant}
          existing={editing === 'new' ? null : editing}
          onDone={(id) => {
            setEditing(null);
            if (id) setSelected(id);
          }}
        />
      )}
      {current && <ConnectorPanel tenant={tenant} connector={current} onClosed={() => setSelected(null)} />}
    </div>
  );
}

function ConnectorForm({
  tenant,
  existing,
  onDone,
}: {
  tenant: string;
  existing: ConnectorView | null;
  onDone: (id: string | null) => void;
}) {
  const save = useSaveConnector(tenant);
  const announce = useUi((state) => state.announce);
  const [kind, setKind] = useState<ConnectorKind>(existing?.kind ?? 'smtp');
  const [id, setId] = useState(existing?.id ?? '');
  const [name, setName] = useState(existing?.name ?? '');
  const [enabled, setEnabled] = useState(existing?.enabled ?? true);
  const [anchor, setAnchor] = useState(existing?.anchor ?? false);
  const [maxAttempts, setMaxAttempts] = useState(String(existing?.retry.maxAttempts ?? 5));
  const [baseDelay, setBaseDelay] = useState(String(existing?.retry.baseDelaySeconds ?? 30));
  const [settings, setSettings] = useState<Record<string, string>>(() =>
    Object.fromEntries(
      Object.entries(existing?.settings ?? {}).map(([k, v]) => [
        k,
        typeof v === 'object' ? JSON.stringify(v) : String(v),
      ]),
    ),
  );
  const error =
    save.error instanceof ContractError
      ? save.error
      : save.error
        ? new ContractError('internal', save.error.message)
        : null;
  const fields = SETTINGS_FIELDS[kind];

  function submit(event: FormEvent) {
    event.preventDefault();
    const typed: Record<string, unknown> = {};
    for (const field of fields) {
      const raw = (settings[field.key] ?? '').trim();
      if (raw === '') continue;
      typed[field.key] = field.type === 'number' ? Number(raw) : raw;
    }
    save.mutate(
      {
        id,
        name,
        kind,
        enabled,
        anchor,
        retry: { maxAttempts: Number(maxAttempts), baseDelaySeconds: Number(baseDelay) },
        settings: typed,
      } as never,
      {
        onSuccess: (saved) => {
          announce(`Connector ${saved.id} saved`);
          onDone(saved.id);
        },
      },
    );
  }

  const fieldId = (key: string) => `connector-${key}`;
  return (
    <section className="card" aria-labelledby="connector-form-heading">
      <h2 id="connector-form-heading">{existing ? `Edit ${existing.name}` : 'Add a connector'}</h2>
      <form className="form wide-form" onSubmit={submit} noValidate aria-label="Connector settings">
        <div className="two-col">
          <div className="field">
            <label htmlFor="connector-kind">Kind</label>
            <select
              id="connector-kind"
              value={kind}
              disabled={existing !== null}
              onChange={(e) => setKind(e.target.value as ConnectorKind)}
            >
              {connectorKinds.map((k) => (
                <option key={k} value={k}>
                  {KIND_LABELS[k]}
                </option>
              ))}
            </select>
          </div>
          <div className="field">
            <label htmlFor="connector-id">Connector ID</label>
            <input
              id="connector-id"
              value={id}
              disabled={existing !== null}
              spellCheck={false}
              autoComplete="off"
              onChange={(e) => setId(e.target.value)}
              aria-invalid={error?.field === 'id' ? true : undefined}
            />
          </div>
          <div className="field">
            <label htmlFor="connector-name">Name</label>
            <input id="connector-name" value={name} autoComplete="off" onChange={(e) => setName(e.target.value)} />
          </div>
          {fields.map((field) => (
            <SettingField
              key={`${kind}-${field.key}`}
              field={field}
              id={fieldId(field.key)}
              value={settings[field.key] ?? ''}
              invalid={error?.field === `settings.${field.key}`}
              onChange={(value) => setSettings((s) => ({ ...s, [field.key]: value }))}
            />
          ))}
          <div className="field">
            <label htmlFor="connector-attempts">Attempts before escalation</label>
            <input
              id="connector-attempts"
              inputMode="numeric"
              value={maxAttempts}
              onChange={(e) => setMaxAttempts(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="connector-delay">First retry after (seconds, doubling)</label>
            <input
              id="connector-delay"
              inputMode="decimal"
              value={baseDelay}
              onChange={(e) => setBaseDelay(e.target.value)}
            />
          </div>
        </div>
        <label className="checkbox">
          <input type="checkbox" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
          Enabled
        </label>
        {['smtp', 'webhook', 'witness_file'].includes(kind) && (
          <label className="checkbox">
            <input type="checkbox" checked={anchor} onChange={(e) => setAnchor(e.target.checked)} />
            Anchor signed checkpoints here (outside the reach of the tenant key holder)
          </label>
        )}
        <p className="hint">
          Secrets ({connectorSecrets[kind].map((s) => s.label).join(', ') || 'none for this kind'}) are set after
          saving, and are kept only in the OS keychain.
        </p>
        {error && (
          <p className="field-error" role="alert">
            {error.message}
          </p>
        )}
        <div className="actions">
          <button type="button" className="secondary" onClick={() => onDone(null)}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? 'Saving…' : 'Save connector'}
          </button>
        </div>
      </form>
    </section>
  );
}

function SettingField({
  field,
  id,
  value,
  invalid,
  onChange,
}: {
  field: FieldSpec;
  id: string;
  value: string;
  invalid: boolean;
  onChange: (value: string) => void;
}) {
  const common = {
    id,
    value,
    'aria-invalid': invalid ? true : undefined,
    'aria-describedby': field.hint ? `${id}-hint` : undefined,
  };
  return (
    <div className="field">
      <label htmlFor={id}>
        {field.label}
        {field.optional && <span className="muted"> (optional)</span>}
      </label>
      {field.type === 'select' ? (
        <select {...common} onChange={(e) => onChange(e.target.value)}>
          <option value="">Choose…</option>
          {field.options?.map((option) => (
            <option key={option.value} value={option.value}>
              {option.label}
            </option>
          ))}
        </select>
      ) : field.type === 'textarea' ? (
        <textarea {...common} rows={3} spellCheck={false} onChange={(e) => onChange(e.target.value)} />
      ) : (
        <input
          {...common}
          inputMode={field.type === 'number' ? 'numeric' : undefined}
          spellCheck={false}
          autoComplete="off"
          onChange={(e) => onChange(e.target.value)}
        />
      )}
      {field.hint && (
        <p className="hint" id={`${id}-hint`}>
          {field.hint}
        </p>
      )}
    </div>
  );
}

function ConnectorPanel({
  tenant,
  connector,
  onClosed,
}: {
  tenant: string;
  connector: ConnectorView;
  onClosed: () => void;
}) {
  const announce = useUi((state) => state.announce);
  const setSecret = useSetSecret(tenant);
  const clearSecret = useClearSecret(tenant);
  const test = useTestConnector(tenant);
  const remove = useRemoveConnector(tenant);
  const [secret, setSecretValue] = useState('');
  const [slot, setSlot] = useState(connector.secrets[0]?.slot ?? 'credential');
  const [to, setTo] = useState('');
  const [confirmRemove, setConfirmRemove] = useState(false);

  function submitSecret(event: FormEvent) {
    event.preventDefault();
    setSecret.mutate(
      { id: connector.id, slot, value: secret },
      {
        onSuccess: () => {
          setSecretValue('');
          announce('Secret stored in the OS keychain');
        },
        // The value is cleared on failure too: it must not linger in the page.
        onError: () => setSecretValue(''),
      },
    );
  }

  return (
    <section className="card" aria-labelledby="connector-panel-heading" data-testid="connector-panel">
      <div className="card-head">
        <h2 id="connector-panel-heading">
          {connector.name} <code>{connector.id}</code>
        </h2>
        <button type="button" className="secondary" onClick={onClosed}>
          Close
        </button>
      </div>
      {connector.secrets.length > 0 && (
        <form className="toolbar" onSubmit={submitSecret} aria-label="Connector secret">
          {connector.secrets.length > 1 && (
            <label className="inline-field">
              <span>Secret</span>
              <select value={slot} onChange={(e) => setSlot(e.target.value as typeof slot)}>
                {connector.secrets.map((s) => (
                  <option key={s.slot} value={s.slot}>
                    {s.label}
                  </option>
                ))}
              </select>
            </label>
          )}
          <label className="inline-field">
            <span>{connector.secrets.find((s) => s.slot === slot)?.label ?? 'Secret'} (never shown again)</span>
            <input
              type="password"
              autoComplete="new-password"
              value={secret}
              onChange={(e) => setSecretValue(e.target.value)}
            />
          </label>
          <button type="submit" className="secondary" disabled={secret === '' || setSecret.isPending}>
            Set secret
          </button>
          <button
            type="button"
            className="secondary"
            disabled={clearSecret.isPending}
            onClick={() =>
              clearSecret.mutate({ id: connector.id, slot }, { onSuccess: () => announce('Secret cleared') })
            }
          >
            Clear secret
          </button>
          {(setSecret.error ?? clearSecret.error) && (
            <span className="field-error" role="alert">
              {(setSecret.error ?? clearSecret.error)?.message}
            </span>
          )}
        </form>
      )}
      {connector.kind !== 'witness_file' && (
        <form
          className="toolbar"
          aria-label="Test the connector"
          onSubmit={(event) => {
            event.preventDefault();
            test.mutate(
              { id: connector.id, ...(to ? { to } : {}) },
              { onSuccess: (r) => announce(r.ok ? 'Test message delivered' : `Test failed: ${r.text}`) },
            );
          }}
        >
          {connector.kind === 'smtp' && (
            <label className="inline-field">
              <span>Send a test message to</span>
              <input type="email" value={to} autoComplete="off" onChange={(e) => setTo(e.target.value)} />
            </label>
          )}
          <button type="submit" className="primary" disabled={test.isPending}>
            {test.isPending ? 'Sending…' : 'Send test message'}
          </button>
          {test.error && (
            <span className="field-error" role="alert">
              {test.error.message}
            </span>
          )}
          {test.data && (
            <span
              role="status"
              data-testid="test-result"
              className={test.data.ok ? 'notice notice-allow' : 'notice notice-deny'}
            >
              {test.data.ok ? 'Delivered' : 'Failed'}: {test.data.code ?? ''} {test.data.text} ({test.data.durationMs}{' '}
              ms, evidence record #{test.data.evidenceSeq ?? '—'})
            </span>
          )}
        </form>
      )}
      <h3>Health history</h3>
      <DeliveryAudit tenant={tenant} connectorId={connector.id} />
      <div className="actions">
        <button type="button" className="secondary" onClick={() => setConfirmRemove(true)}>
          Remove connector
        </button>
      </div>
      {confirmRemove && (
        <ConfirmDialog
          title={`Remove ${connector.name}?`}
          confirmLabel="Remove connector"
          tone="danger"
          onCancel={() => setConfirmRemove(false)}
          onConfirm={() =>
            remove.mutate(connector.id, {
              onSuccess: () => {
                setConfirmRemove(false);
                announce(`Connector ${connector.id} removed`);
                onClosed();
              },
            })
          }
        >
          <p>Its secrets are deleted from the OS keychain and deliveries still queued for it fail.</p>
        </ConfirmDialog>
      )}
    </section>
  );
}
