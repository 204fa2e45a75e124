import type { Command } from '../io';
import { consoleCommand } from './console';
import { doctorCommand, keysProvision } from './doctor';
import { evaluateCommand } from './evaluate';
import { evidenceExport, evidenceKey, evidenceStatus, evidenceVerify } from './evidence';
import { evidencePrune, evidenceRetention } from './evidence-retention';
import {
  policyAssign,
  policyImport,
  policyList,
  policySchema,
  policyTest,
  policyUnassign,
  policyValidate,
} from './policy';
import { tenantsCreate, tenantsList, tenantsOnboard, tenantsStatus } from './tenants';
import { loginCommand, logoutCommand, whoamiCommand } from './login';
import { gateServe } from './gate';
import { connectCommand, disconnectCommand } from './connect';
import { hookClaudeCode, hookInstallClaudeCode } from './hook';
import { mcpList, mcpProxy, mcpTrust, mcpUntrust } from './mcp';
import { gitInstallHooks, gitPrePush } from './git';
import { execCommand } from './exec';
import { sandboxExport, sandboxMode, sandboxProfile, sandboxStatus } from './sandbox';
import { approvalsApprove, approvalsCancel, approvalsDeny, approvalsList, approvalsShow } from './approvals';
import {
  connectorsList,
  connectorsRemove,
  connectorsSave,
  connectorsSecretClear,
  connectorsSecretSet,
  connectorsTest,
} from './connectors';
import { reportsDeliver, reportsDeliveries, reportsRender, reportsRetry, reportsSettings } from './reports';
import { licenseImport, licenseRevocationsImport, licenseStatus, licenseValidate } from './license';
import { packetCloseout, packetExport, packetVerify, readinessRun } from './readiness';
import { aispmCoverage, aispmFindings, aispmStatus } from './aispm';
import { trialRun } from './trial';
import { agentsEnroll, agentsList, agentsRevoke } from './agents';
import { serverCommand } from './server';

/** Every `cavra` command; `--help` lists them in this order. */
export const commands: readonly Command[] = [
  consoleCommand,
  loginCommand,
  logoutCommand,
  whoamiCommand,
  tenantsList,
  tenantsCreate,
  keysProvision,
  doctorCommand,
  tenantsOnboard,
  tenantsStatus,
  evaluateCommand,
  policyValidate,
  policyTest,
  policyImport,
  policyList,
  policyAssign,
  policyUnassign,
  policySchema,
  evidenceExport,
  evidenceVerify,
  evidenceStatus,
  evidenceKey,
  evidenceRetention,
  evidencePrune,
  gateServe,
  serverCommand,
  connectCommand,
  disconnectCommand,
  agentsEnroll,
  agentsList,
  agentsRevoke,
  hookClaudeCode,
  hookInstallClaudeCode,
  mcpProxy,
  mcpTrust,
  mcpUntrust,
  mcpList,
  gitInstallHooks,
  gitPrePush,
  execCommand,
  approvalsList,
  approvalsShow,
  approvalsApprove,
  approvalsDeny,
  approvalsCancel,
  connectorsList,
  connectorsSave,
  connectorsRemove,
  connectorsSecretSet,
  connectorsSecretClear,
  connectorsTest,
  reportsRender,
  reportsDeliver,
  reportsDeliveries,
  reportsRetry,
  reportsSettings,
  licenseValidate,
  licenseImport,
  licenseStatus,
  licenseRevocationsImport,
  readinessRun,
  packetExport,
  packetCloseout,
  packetVerify,
  trialRun,
  aispmStatus,
  aispmFindings,
  aispmCoverage,
  sandboxStatus,
  sandboxMode,
  sandboxProfile,
  sandboxExport,
];
