import type { HealthCheck } from './check';
import { claudeManagedCheck } from './checks/claude-managed';
import { gateCheck } from './checks/gate';
import { hookPortCheck } from './checks/hook-port';
import { hooksCheck } from './checks/hooks';
import { keychainCheck } from './checks/keychain';
import { nodeCheck } from './checks/node';
import { sandboxCheck } from './checks/sandbox';
import { signingKeysCheck } from './checks/signing-keys';

/**
 * Every health check, in the order `cavra doctor` and the console show them. Adding a check
 * is this one line (with its module beside the others): the CLI, the contract operation and
 * the console panel render whatever this list returns.
 */
export const HEALTH_CHECKS: readonly HealthCheck[] = [
  keychainCheck,
  signingKeysCheck,
  gateCheck,
  hookPortCheck,
  hooksCheck,
  claudeManagedCheck,
  sandboxCheck,
  nodeCheck,
];
