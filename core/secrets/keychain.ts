import { Entry } from '@napi-rs/keyring';
import type { EntryOptions } from '@napi-rs/keyring';
import type { SecretRef, SecretStore } from './secret-store';
import { KeychainUnavailableError, checkSecretRef } from './secret-store';

/**
 * Linux is pinned to the Secret Service: left to itself the binding falls back to the
 * kernel keyutils store, which forgets everything at reboot — a signing key lost that
 * way would make every later checkpoint unverifiable. Pinned, it throws instead.
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: 'secret-service' } };

/**
 * SecretStore over the OS keychain (macOS Keychain, Windows Credential Manager, Secret
 * Service on Linux) through @napi-rs/keyring. `namespace` separates installs on one
 * machine (each data directory has its own install id), so two CAVRA homes never read
 * each other's secrets.
 */
export class KeychainSecretStore implements SecretStore {
  constructor(private readonly namespace: string) {
    if (!/^[A-Za-z0-9-]{1,64}$/.test(namespace)) throw new Error('Keychain namespace must be a short identifier');
  }

  get(ref: SecretRef): string | null {
    return this.withEntry(ref, 'read', (entry) => entry.getPassword());
  }

  set(ref: SecretRef, value: string): void {
    if (value.length === 0) throw new Error('An empty secret cannot be stored');
    this.withEntry(ref, 'write', (entry) => entry.setPassword(value));
  }

  delete(ref: SecretRef): boolean {
    return this.withEntry(ref, 'delete', (entry) => entry.deleteCredential());
  }

  private withEntry<T>(ref: SecretRef, action: string, use: (entry: Entry) => T): T {
    checkSecretRef(ref);
    const service = `cavra-enterprise/${this.namespace}/tenant/${ref.tenant}/${ref.service}`;
    let entry: Entry;
    try {
      entry = new Entry(service, ref.account, ENTRY_OPTIONS);
    } catch (error) {
      throw new KeychainUnavailableError(`cannot open a keychain entry: ${describe(error)}`);
    }
    try {
      return use(entry);
    } catch (error) {
      throw new KeychainUnavailableError(`cannot ${action} a keychain entry: ${describe(error)}`);
    }
  }
}

/** The backend's message, first line only: it names the failing IPC, never the secret. */
function describe(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0]?.slice(0, 300) ?? 'unknown error';
}
