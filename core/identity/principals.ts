import os from 'node:os';
import type { OsUser, Principal } from '../contract';

/** The OS account this process runs as: what the console and the CLI can verify about their own user. */
export function currentOsUser(): OsUser {
  const info = os.userInfo();
  return { uid: info.uid < 0 ? 0 : info.uid, name: info.username };
}

export const LOCAL_EVALUATOR_ID = 'local:evaluator';

/**
 * The clearly labelled identity used before an IdP is configured. It may run an evaluation;
 * the production readiness gate never accepts it (SPEC §7). `session` is the sign-in it acts
 * under (`cavra login --local-evaluation`, the console's "continue as local evaluator"), or
 * null for a caller that only reads.
 */
export function localEvaluator(session: string | null, osUser: OsUser = currentOsUser()): Principal {
  return Object.freeze({
    id: LOCAL_EVALUATOR_ID,
    displayName: 'Local evaluator (evaluation only)',
    kind: 'local_evaluation',
    session,
    osUser,
  });
}

/** The local evaluator signed in for an evaluation: tests, first runs, the labelled evaluation path. */
export const localEvaluationPrincipal: Principal = localEvaluator('local-evaluation');
