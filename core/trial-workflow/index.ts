export { GovernedWorkflow } from './runner';
export type { GovernedWorkflowOptions, WorkflowControl } from './runner';
export { trialWorkflowHandlers } from './handlers';
