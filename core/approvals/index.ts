export { ApprovalDesk, BREAK_GLASS_VALID_MS } from './desk';
export type { ApprovalRequest, ApprovalSubject, RouteTerms } from './desk';
export { StoredApprovalRepository } from './repository';
export type { ApprovalRepository } from './repository';
export { approvalBinding } from './binding';
export { approvalHandlers } from './handlers';
export { StepUp } from './step-up';
export type { StepUpIdentity } from './step-up';
export {
  checkAttestation,
  verifyAttestedBundle,
  attestationNonce,
  verdictOf,
  ATTESTATION_MAX_AGE_S,
} from './attestation';
export type { AttestationCheck, AttestedVerdict } from './attestation';
export type { Decider } from './separation';
export { notifyBreakGlass } from './break-glass';
export {
  approvalTerms,
  termsForMachineRequest,
  decidedBySevereRule,
  durationMs,
  DEFAULT_APPROVAL_EXPIRY_MS,
} from './route-terms';
export type { ApprovalRouteSpec, ApprovalTerms, JudgingPolicy, MachineRequestTerms, RoutePolicy } from './route-terms';
