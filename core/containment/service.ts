import { ContractError } from '../contract';
import type { Action, ContainmentProfileView, ContainmentSettingsView, Principal } from '../contract';
import type { ContainmentPayload } from '../evidence';
import type { AssignedContainment } from '../policy';
import { ContainmentError, ProfileCache } from './compile';
import type { ContainmentGrant, ContainmentProfile } from './runner';
import type { ContainmentSettings, ContainmentSettingsRepository } from './store';

/** What containment needs from the policy engine (PolicyService satisfies it). */
export interface ContainmentPolicy {
  containmentFor(tenant: string, repository: string | null): AssignedContainment;
}

/** Appends a record and resolves once it is durable (the evidence ledger). */
export type ContainmentRecorder = (
  tenant: string,
  type: 'containment' | 'config_change',
  payload: unknown,
) => Promise<{ seq: number }>;

export interface ContainmentServiceOptions {
  policy: ContainmentPolicy;
  settings: ContainmentSettingsRepository;
  record: ContainmentRecorder;
  /** CAVRA_HOME: never readable inside a sandbox. */
  cavraHome: string;
  /** The account's home: never a workspace. */
  userHome: string;
  now?: () => Date;
}

/** Sandbox settings are re-read at most this often on the decision path (another process may change them). */
const SETTINGS_CACHE_MS = 1_000;

export function settingsView(settings: ContainmentSettings): ContainmentSettingsView {
  return { ...settings, posture: settings.enforcement === 'sandbox' ? 'contained' : 'weaker' };
}

export function profileView(
  profile: ContainmentProfile,
  digest: string,
  enforcement: ContainmentSettings['enforcement'],
): ContainmentProfileView {
  return {
    enforcement,
    digest,
    workspace: profile.workspace,
    packs: profile.packs,
    denyRead: [...profile.deny_read.paths, ...new Set(profile.deny_read.globs.map((g) => g.pattern))],
    exceptRead: [...new Set(profile.deny_read.except.map((g) => g.pattern))],
    denyWrite: profile.deny_write,
    writeAllow: profile.write_allow,
    hosts: profile.network.hosts.map((h) => h.pattern),
    environmentRemove: profile.environment.remove.map((g) => g.pattern),
    environmentKeep: profile.environment.keep.map((g) => g.pattern),
    profile: profile as unknown as Record<string, unknown>,
  };
}

/**
 * Containment as a capability: compiles the sandbox profile of a command from the tenant's
 * packs and its workspace, keeps the tenant's choice between sandbox and judgement-only
 * (record first, then apply), and records what runners report back.
 */
export class ContainmentService {
  private readonly now: () => Date;
  private readonly cache = new Map<string, { settings: ContainmentSettings; at: number }>();
  // Compiling the packs' globs and hashing the profile was the bulk of a contained decision.
  private readonly profiles = new ProfileCache();

  constructor(private readonly options: ContainmentServiceOptions) {
    this.now = options.now ?? (() => new Date());
  }

  async settings(tenant: string): Promise<ContainmentSettings> {
    const cached = this.cache.get(tenant);
    const at = performance.now();
    // Only the stricter setting is served from the cache: once another process restores the
    // sandbox, the very next command is contained (a stale judgement-only would fail open).
    if (cached && cached.settings.enforcement === 'sandbox' && at - cached.at < SETTINGS_CACHE_MS) {
      return cached.settings;
    }
    const settings = await this.options.settings.get(tenant);
    this.cache.set(tenant, { settings, at });
    return settings;
  }

  /** The profile for a working directory; throws ContainmentError with what to do. */
  profile(tenant: string, cwd: string, repository: string | null): { profile: ContainmentProfile; digest: string } {
    return this.profiles.compile({
      assigned: this.options.policy.containmentFor(tenant, repository),
      cwd,
      cavraHome: this.options.cavraHome,
      userHome: this.options.userHome,
    });
  }

  /**
   * What the gate hands an adapter that runs an allowed command: the profile to run it in,
   * or the tenant's recorded choice to run it on judgement alone.
   */
  async grant(tenant: string, action: Action): Promise<ContainmentGrant> {
    const settings = await this.settings(tenant);
    if (settings.enforcement === 'judgement_only') return this.grantFor(tenant, '/', null, settings);
    if (!action.cwd) throw new ContainmentError('cwd: a contained command needs its working directory');
    return this.grantFor(tenant, action.cwd, action.repository ?? null, settings);
  }

  /** The grant for a process started in a workspace (an MCP server), not for one judged action. */
  async grantFor(
    tenant: string,
    cwd: string,
    repository: string | null,
    known?: ContainmentSettings,
  ): Promise<ContainmentGrant> {
    const settings = known ?? (await this.settings(tenant));
    if (settings.enforcement === 'judgement_only') {
      return {
        enforcement: 'judgement_only',
        reason: `tenant ${tenant} runs without containment (judgement only, set by ${settings.changedBy ?? 'unknown'}: ${settings.reason ?? 'no reason given'})`,
      };
    }
    const { profile, digest } = this.profile(tenant, cwd, repository);
    return { enforcement: 'sandbox', digest, profile };
  }

  async setEnforcement(
    tenant: string,
    input: { enforcement: ContainmentSettings['enforcement']; reason?: string },
    principal: Principal,
  ): Promise<ContainmentSettings> {
    const before = await this.options.settings.get(tenant);
    const next: ContainmentSettings = {
      enforcement: input.enforcement,
      reason: input.reason ?? null,
      changedAt: this.now().toISOString(),
      changedBy: principal.id,
    };
    // Record, then apply: the change exists only once its evidence does.
    try {
      await this.options.record(tenant, 'config_change', {
        change: 'containment.enforcement',
        before: before.enforcement,
        after: next.enforcement,
        ...(next.reason ? { reason: next.reason } : {}),
        posture: next.enforcement === 'sandbox' ? 'contained' : 'weaker',
        by: principal.id,
      });
    } catch (error) {
      throw new ContractError(
        'unavailable',
        `The change could not be recorded as evidence, so it was not made: ${error instanceof Error ? error.message : String(error)}`,
      );
    }
    await this.options.settings.save(tenant, next);
    this.cache.delete(tenant);
    return next;
  }

  /** Records what a runner observed (a refused connection, a sandbox that did not start). */
  async report(tenant: string, payload: ContainmentPayload): Promise<{ seq: number }> {
    return this.options.record(tenant, 'containment', payload);
  }
}

export { ContainmentError };
