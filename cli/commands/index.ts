import type { Command } from '../io';
import { consoleCommand } from './console';
import { evaluateCommand } from './evaluate';
import { evidenceExport, evidenceKey, evidenceStatus, evidenceVerify } from './evidence';
import {
  policyAssign,
  policyImport,
  policyList,
  policySchema,
  policyTest,
  policyUnassign,
  policyValidate,
} from './policy';
import { tenantsCreate, tenantsList } from './tenants';

/** Every `cavra` command; `--help` lists them in this order. */
export const commands: readonly Command[] = [
  consoleCommand,
  tenantsList,
  tenantsCreate,
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
];
