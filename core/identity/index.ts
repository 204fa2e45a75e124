export { localEvaluationPrincipal, localEvaluator, currentOsUser, LOCAL_EVALUATOR_ID } from './principals';
export { accessRefusal } from './access';
export type { AccessRefusal } from './access';
export { OidcSignIn, describeOidcError } from './oidc';
export type { OidcOptions } from './oidc';
export { IdentityService, humanPrincipalId } from './sessions';
export { groupsOf, rolesForGroups } from './role-mapping';
export { sessionHandlers } from './handlers';
export { ConsoleSession } from './console-session';
