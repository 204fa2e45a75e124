import { useState } from 'react';
import type { OnboardingIssue } from '../../../core/contract';
import { useOnboard } from '../../api/access';
import { useUi } from '../../state/ui';

const steps = ['Tenant', 'Sign-in', 'Roles', 'Inventory', 'People', 'Review'] as const;

const lines = (text: string) =>
  text
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean);

/** The form's text, turned into an onboarding document; the core validates all of it at once. */
function documentOf(form: Form): Record<string, unknown> {
  const document: Record<string, unknown> = {
    id: form.id,
    display_name: form.displayName,
    kind: form.kind,
    role_mappings: lines(form.mappings).map((line) => {
      const [group, roles = ''] = line.split(':');
      return {
        group: group?.trim(),
        roles: roles
          .split(',')
          .map((role) => role.trim())
          .filter(Boolean),
      };
    }),
    inventory: {
      environments: form.environments
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean),
      repositories: lines(form.repositories).map((line) => {
        const [name, environment] = line.split(/\s+/);
        return environment ? { name, environment } : { name };
      }),
    },
    packs: lines(form.packs).map((line) => {
      const [pack, repository] = line.split(/\s+/);
      return repository ? { pack, repository } : { pack };
    }),
    report_recipients: lines(form.recipients).map((email) => ({ email })),
    contacts: lines(form.contacts).map((line) => {
      const match = /^(.*?)\s*<([^>]*)>\s*(.*)$/.exec(line);
      return match ? { name: match[1], email: match[2], role: match[3] } : { name: line, email: '', role: '' };
    }),
    escalation_routes: lines(form.routes).map((line) => {
      const [name, rest = ''] = line.split(':');
      const after = /\bafter\s+(\S+)$/.exec(rest)?.[1];
      const contacts = rest
        .replace(/\bafter\s+\S+$/, '')
        .split(',')
        .map((c) => c.trim())
        .filter(Boolean);
      return after ? { name: name?.trim(), contacts, after } : { name: name?.trim(), contacts };
    }),
  };
  if (form.issuer.trim() !== '') {
    document.sso = {
      issuer: form.issuer,
      client_id: form.clientId,
      scopes: form.scopes.split(/\s+/).filter(Boolean),
      groups_claim: form.groupsClaim || 'groups',
    };
  }
  if (form.retention.trim() !== '') document.retention = { days: Number(form.retention) };
  return document;
}

const initial = {
  id: '',
  displayName: '',
  kind: 'production',
  issuer: '',
  clientId: '',
  scopes: 'profile email groups offline_access',
  groupsClaim: 'groups',
  mappings: '',
  environments: '',
  repositories: '',
  packs: '',
  retention: '',
  recipients: '',
  contacts: '',
  routes: '',
};
type Form = typeof initial;

/** Tenant onboarding, step by step; every mistake comes back at once with its field path. */
export function OnboardingWizard() {
  const onboard = useOnboard();
  const announce = useUi((state) => state.announce);
  const [step, setStep] = useState(0);
  const [form, setForm] = useState(initial);
  const [issues, setIssues] = useState<OnboardingIssue[] | null>(null);
  const set = (key: keyof Form) => (event: { target: { value: string } }) =>
    setForm({ ...form, [key]: event.target.value });

  function submit(dryRun: boolean) {
    onboard.mutate(
      { document: documentOf(form), dryRun },
      {
        onSuccess: (result) => {
          setIssues(result.issues);
          if (result.created) {
            announce(`Tenant ${result.tenant?.id} created`);
            setForm(initial);
            setStep(0);
          } else
            announce(result.issues.length === 0 ? 'The tenant record is valid' : `${result.issues.length} mistakes`);
        },
      },
    );
  }

  const field = (key: keyof Form, label: string, hint?: string, multiline = false) => (
    <div className="field">
      <label htmlFor={`onboard-${key}`}>{label}</label>
      {multiline ? (
        <textarea id={`onboard-${key}`} rows={3} value={form[key]} onChange={set(key)} spellCheck={false} />
      ) : (
        <input id={`onboard-${key}`} value={form[key]} onChange={set(key)} spellCheck={false} autoComplete="off" />
      )}
      {hint && <p className="hint">{hint}</p>}
    </div>
  );

  return (
    <section className="card" aria-labelledby="onboard-heading">
      <h2 id="onboard-heading">Onboard a tenant</h2>
      <ol className="wizard-steps" aria-label="Steps">
        {steps.map((name, i) => (
          <li key={name} aria-current={i === step ? 'step' : undefined}>
            {i + 1}. {name}
          </li>
        ))}
      </ol>
      <div className="form">
        {step === 0 && (
          <>
            {field('id', 'Identifier', 'Lowercase letters, digits and hyphens, e.g. acme-prod')}
            {field('displayName', 'Name people see')}
            <div className="field">
              <label htmlFor="onboard-kind">Kind</label>
              <select id="onboard-kind" value={form.kind} onChange={set('kind')}>
                <option value="production">production</option>
                <option value="evaluation">evaluation</option>
              </select>
            </div>
          </>
        )}
        {step === 1 && (
          <>
            {field(
              'issuer',
              'IdP issuer URL',
              'Leave empty for no SSO (then only the local evaluation identity can act)',
            )}
            {field('clientId', 'Client ID')}
            {field('scopes', 'Scopes (besides openid)')}
            {field('groupsClaim', 'Groups claim')}
          </>
        )}
        {step === 2 &&
          field('mappings', 'Role mappings', 'One per line: group: role, role (e.g. secops: security_reviewer)', true)}
        {step === 3 && (
          <>
            {field('environments', 'Environments', 'Comma-separated, e.g. production, staging')}
            {field('repositories', 'Repositories', 'One per line: name [environment]', true)}
            {field('packs', 'Policy packs', 'One per line: pack [repository]', true)}
            {field('retention', 'Evidence retention (days)')}
          </>
        )}
        {step === 4 && (
          <>
            {field('recipients', 'Report recipients', 'One e-mail address per line', true)}
            {field('contacts', 'Operating contacts', 'One per line: Name <email> role', true)}
            {field('routes', 'Escalation routes', 'One per line: name: email, email after 30m', true)}
          </>
        )}
        {step === 5 && (
          <pre className="json" tabIndex={0} aria-label="Onboarding document">
            {JSON.stringify(documentOf(form), null, 2)}
          </pre>
        )}
        {issues && issues.length > 0 && (
          <div role="alert">
            <p>{issues.length} mistake(s); nothing was created:</p>
            <ul data-testid="onboarding-issues">
              {issues.map((issue) => (
                <li key={`${issue.path}:${issue.message}`}>
                  <code>{issue.path}</code>: {issue.message}
                </li>
              ))}
            </ul>
          </div>
        )}
        {onboard.error && (
          <p role="alert" className="field-error">
            {onboard.error.message}
          </p>
        )}
        <div className="actions">
          <button type="button" className="secondary" disabled={step === 0} onClick={() => setStep(step - 1)}>
            Back
          </button>
          {step < steps.length - 1 ? (
            <button type="button" className="primary" onClick={() => setStep(step + 1)}>
              Next
            </button>
          ) : (
            <>
              <button type="button" className="secondary" disabled={onboard.isPending} onClick={() => submit(true)}>
                Check
              </button>
              <button type="button" className="primary" disabled={onboard.isPending} onClick={() => submit(false)}>
                Onboard tenant
              </button>
            </>
          )}
        </div>
      </div>
    </section>
  );
}
