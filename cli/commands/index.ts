import type { Command } from '../io';
import { consoleCommand } from './console';
import { evidenceExport, evidenceKey, evidenceStatus, evidenceVerify } from './evidence';
import { tenantsCreate, tenantsList } from './tenants';

/** Every `cavra` command; `--help` lists them in this order. */
export const commands: readonly Command[] = [
  consoleCommand,
  tenantsList,
  tenantsCreate,
  evidenceExport,
  evidenceVerify,
  evidenceStatus,
  evidenceKey,
];
