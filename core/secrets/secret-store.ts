/**
 * The one way CAVRA holds secrets (HOUSE rule 5): signing keys and connector credentials
 * live in the OS keychain, addressed per tenant, and nowhere else. There is deliberately
 * no in-memory or plain-file fallback: when no keychain is usable, callers get
 * KeychainUnavailableError and must surface that state instead of degrading silently.
 *
 * The port is synchronous because its main caller, tenant creation, is one SQLite
 * transaction that must roll back together with the keychain write; keychain calls are
 * short local IPC.
 */
export interface SecretRef {
  /** The tenant the secret belongs to; secrets never cross tenants. */
  tenant: string;
  /** What the secret is for, e.g. `evidence-signing` or `connector/smtp-main`. */
  service: string;
  account: string;
}

export interface SecretStore {
  /** The secret, or null when none is stored. Throws KeychainUnavailableError. */
  get(ref: SecretRef): string | null;
  set(ref: SecretRef, value: string): void;
  /** True when a secret was deleted, false when there was none. */
  delete(ref: SecretRef): boolean;
}

/** A view of a SecretStore that can only reach one tenant's secrets. */
export interface TenantSecrets {
  readonly tenant: string;
  get(service: string, account: string): string | null;
  set(service: string, account: string, value: string): void;
  delete(service: string, account: string): boolean;
}

export function tenantSecrets(store: SecretStore, tenant: string): TenantSecrets {
  return {
    tenant,
    get: (service, account) => store.get({ tenant, service, account }),
    set: (service, account, value) => store.set({ tenant, service, account }, value),
    delete: (service, account) => store.delete({ tenant, service, account }),
  };
}

export class KeychainUnavailableError extends Error {
  /** What the operator can do about it, in one sentence. */
  readonly advice: string;
  /** What went wrong, without the advice (callers that show the advice on its own use this). */
  readonly detail: string;

  constructor(detail: string, platform: NodeJS.Platform = process.platform) {
    const advice = keychainAdvice(platform);
    const what = `The OS keychain is not available (${detail})`;
    super(`${what}. CAVRA keeps secrets only in the OS keychain, never in plain text or memory. ${advice}`);
    this.name = 'KeychainUnavailableError';
    this.advice = advice;
    this.detail = what;
  }
}

function keychainAdvice(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'Unlock the login keychain and try again.';
  if (platform === 'win32') return 'Make sure Windows Credential Manager is available to this user and try again.';
  return (
    'Run a Secret Service provider (gnome-keyring or KWallet) in this desktop session, unlocked, ' +
    'with DBUS_SESSION_BUS_ADDRESS set, and try again.'
  );
}

export class InvalidSecretRefError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidSecretRefError';
  }
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function checkSecretRef(ref: SecretRef): void {
  for (const [field, value] of Object.entries(ref) as [keyof SecretRef, string][]) {
    if (typeof value !== 'string' || value.length === 0 || value.length > 200 || CONTROL.test(value)) {
      throw new InvalidSecretRefError(`Secret ${field} must be 1–200 printable characters`);
    }
  }
  if (/[/\\:]/.test(ref.tenant)) throw new InvalidSecretRefError('Secret tenant must be a tenant id');
}

export type KeychainProbe = { available: true } | { available: false; reason: string; advice: string };

/** Whether the store can be used right now, for status screens and test preconditions. */
export function probeKeychain(store: SecretStore): KeychainProbe {
  try {
    store.get({ tenant: 'probe', service: 'availability', account: 'probe' });
    return { available: true };
  } catch (error) {
    if (error instanceof KeychainUnavailableError) {
      return { available: false, reason: error.detail, advice: error.advice };
    }
    throw error;
  }
}
