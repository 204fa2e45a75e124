// Test support for the gate and adapter tests: a real core (tenant store, policy engine with
// the built-in packs, keychain-backed evidence ledger) hosting a real gate on a temp
// CAVRA_HOME, on 127.0.0.1. Not part of the public surface.
import { KeychainSecretStore, probeKeychain } from '../secrets';
import { createCore } from '../service';
import type { LocalCoreService } from '../service';
import { tempHome } from '../../test/support/temp-home';
import { startGate } from './gate';
import type { RunningGate } from './gate';
import type { GateLimits } from './dispatcher';

/** Fails the calling test with instructions when no real keychain is reachable. */
export function requireKeychain(): void {
  const probe = probeKeychain(new KeychainSecretStore('probe'));
  if (!probe.available) {
    throw new Error(`No usable OS keychain; run the tests under scripts/with-keyring.sh.\n${probe.reason}`);
  }
}

export interface GateFixtureOptions {
  approvalWaitMs?: number;
  limits?: Partial<GateLimits>;
  now?: () => Date;
  policyPacksDir?: string;
  /** An existing CAVRA_HOME (kept on close); a fresh temp one otherwise. */
  home?: string;
  /** The loopback HTTP port (default: any free one). */
  httpPort?: number;
}

export interface GateFixture {
  home: string;
  core: LocalCoreService;
  gate: RunningGate;
  tenant: string;
  /** Stops the gate and the core; removes the home unless it was given. */
  close(): Promise<void>;
}

export async function gateFixture(options: GateFixtureOptions = {}): Promise<GateFixture> {
  requireKeychain();
  const temp = options.home ? null : tempHome('cavra-gate-');
  const home = options.home ?? (temp as { home: string }).home;
  const core = createCore({
    home,
    shell: 'test',
    now: options.now,
    policyPacksDir: options.policyPacksDir,
    log: () => undefined,
  });
  let gate: RunningGate;
  try {
    gate = await startGate({
      host: core.gateHost,
      httpPort: options.httpPort ?? 0,
      approvalWaitMs: options.approvalWaitMs ?? 1_500,
      limits: options.limits,
      now: options.now,
      log: () => undefined,
    });
  } catch (error) {
    await core.close();
    temp?.cleanup();
    throw error;
  }
  return {
    home,
    core,
    gate,
    tenant: 'evaluation',
    async close() {
      await gate.close();
      await core.close();
      temp?.cleanup();
    },
  };
}
