export { ApprovalDesk } from './desk';
export type { ApprovalRequest, ApprovalSubject } from './desk';
export { approvalBinding } from './binding';
export { approvalHandlers } from './handlers';
