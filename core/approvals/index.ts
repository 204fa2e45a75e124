export { ApprovalDesk, approvalStates } from './desk';
export type { ApprovalDeskOptions, ApprovalEvent, ApprovalRequest, ApprovalState, NewApprovalRequest } from './desk';
export { approvalBinding } from './binding';
export type { ApprovalBinding } from './binding';
export { approvalHandlers } from './handlers';
