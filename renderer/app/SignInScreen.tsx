import { useState } from 'react';
import { useBeginSignIn, useLocalSignIn, useSessionStatus } from '../api/access';

/**
 * Shown until someone signs in: SSO at a tenant's IdP (system browser or, in browser mode, this
 * tab), or the clearly labelled local evaluation identity on an evaluation install.
 */
export function SignInScreen() {
  const status = useSessionStatus();
  const begin = useBeginSignIn();
  const local = useLocalSignIn();
  const [waiting, setWaiting] = useState<string | null>(null);
  const error = begin.error ?? local.error;

  function signIn(tenant: string) {
    begin.mutate(
      { tenant },
      {
        onSuccess: ({ authorizationUrl }) => {
          if (status.data?.shell === 'browser') window.location.assign(authorizationUrl);
          else {
            // The desktop app opened the system browser; it reloads the console once signed in.
            setWaiting(tenant);
          }
        },
      },
    );
  }

  return (
    <main className="sign-in" id="main">
      <div className="card sign-in-card">
        <div className="brand">
          <span className="brand-mark" aria-hidden="true">
            C
          </span>
          <span>
            CAVRA <strong>Enterprise</strong>
          </span>
        </div>
        <h1>Sign in</h1>
        {status.isError && <p role="alert">{status.error.message}</p>}
        {status.data && status.data.ssoTenants.length > 0 && (
          <section aria-labelledby="sso-heading">
            <h2 id="sso-heading">With your organisation’s sign-in</h2>
            <ul className="plain stack-tight">
              {status.data.ssoTenants.map((tenant) => (
                <li key={tenant.id}>
                  <button
                    type="button"
                    className="primary"
                    onClick={() => signIn(tenant.id)}
                    disabled={begin.isPending}
                  >
                    Sign in to {tenant.displayName} with SSO
                  </button>
                </li>
              ))}
            </ul>
            {waiting && (
              <p role="status">
                Continue in your browser to sign in to {waiting}; this window updates when you are done.
              </p>
            )}
          </section>
        )}
        {status.data?.localEvaluation && (
          <section aria-labelledby="local-heading">
            <h2 id="local-heading">Evaluation without an IdP</h2>
            <p className="muted">
              The local evaluation identity is for first runs on this machine. It is labelled everywhere, approvals it
              gives to agents of your own OS user are marked self-approved, it has no authority in tenants with SSO, and
              the production readiness gate never accepts it.
            </p>
            <button
              type="button"
              className="secondary"
              disabled={local.isPending}
              onClick={() => local.mutate(undefined, { onSuccess: () => window.location.reload() })}
            >
              Continue as local evaluator (evaluation only)
            </button>
          </section>
        )}
        {error && (
          <p role="alert" className="field-error">
            {error.message}
          </p>
        )}
      </div>
    </main>
  );
}
