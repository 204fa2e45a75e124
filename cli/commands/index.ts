import type { Command } from '../io';
import { tenantsCreate, tenantsList } from './tenants';

/** Every `cavra` command; `--help` lists them in this order. */
export const commands: readonly Command[] = [tenantsList, tenantsCreate];
