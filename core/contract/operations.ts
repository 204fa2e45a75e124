import type { z } from 'zod';
import type { EventSpec, OperationSpec } from './define';
import type { EventName, OperationName } from './names';
import { aispmEvents, aispmOperations } from './aispm';
import { approvalEvents, approvalOperations } from './approvals';
import { connectorEvents, connectorOperations } from './connectors';
import { containmentOperations } from './containment';
import { gateOperations } from './gate';
import { evidenceEvents, evidenceOperations } from './evidence';
import { jobEvents, jobOperations } from './jobs';
import { policyEvents, policyOperations } from './policy';
import { reportOperations } from './reports';
import { licenseOperations } from './license';
import { readinessOperations } from './readiness';
import { trialOperations } from './trial';
import { trialWorkflowOperations } from './trial-workflow';
import { systemOperations } from './system';
import { tenantEvents, tenantOperations } from './tenants';
import { sessionOperations } from './session';
import { onboardingOperations } from './onboarding';

export const operations = {
  ...systemOperations,
  ...tenantOperations,
  ...jobOperations,
  ...evidenceOperations,
  ...approvalOperations,
  ...gateOperations,
  ...policyOperations,
  ...connectorOperations,
  ...reportOperations,
  ...licenseOperations,
  ...readinessOperations,
  ...aispmOperations,
  ...trialOperations,
  ...trialWorkflowOperations,
  ...containmentOperations,
  ...sessionOperations,
  ...onboardingOperations,
} satisfies Record<OperationName, OperationSpec>;

export const events = {
  ...tenantEvents,
  ...jobEvents,
  ...evidenceEvents,
  ...policyEvents,
  ...approvalEvents,
  ...connectorEvents,
  ...aispmEvents,
} satisfies Record<EventName, EventSpec>;

export type Operations = typeof operations;
export type OperationInput<K extends OperationName> = z.input<Operations[K]['input']>;
export type ParsedOperationInput<K extends OperationName> = z.output<Operations[K]['input']>;
export type OperationOutput<K extends OperationName> = z.output<Operations[K]['output']>;
export type EventPayload<K extends EventName> = z.output<(typeof events)[K]['payload']>;
