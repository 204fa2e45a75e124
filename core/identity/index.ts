import type { Principal } from '../contract';

/**
 * The clearly labelled identity used before an IdP is configured. It may run an
 * evaluation; the production readiness gate never accepts it (SPEC §7).
 */
export const localEvaluationPrincipal: Principal = Object.freeze({
  id: 'local:evaluator',
  displayName: 'Local evaluator (evaluation only)',
  kind: 'local_evaluation',
});
