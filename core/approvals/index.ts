export { ApprovalDesk } from './desk';
export type { ApprovalRequest } from './desk';
export { approvalBinding } from './binding';
export { approvalHandlers } from './handlers';
