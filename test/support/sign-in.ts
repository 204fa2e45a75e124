// Signs the CLI in as the labelled local evaluator on a test's data directory, as
// `cavra login --local-evaluation` would: state-changing CLI commands need a sign-in.
import type { CoreService } from '../../core/service';
import { rememberSession } from '../../cli/sign-in';

export async function signInLocally(core: CoreService, home: string, tenant?: string): Promise<void> {
  const response = await core.invoke(null, { op: 'session.local', tenant: null, input: tenant ? { tenant } : {} });
  if (!response.ok) throw new Error(`local sign-in failed: ${response.error.message}`);
  const signedIn = response.value as { sessionId: string; tenant: string };
  rememberSession(home, signedIn.tenant, signedIn.sessionId);
}
