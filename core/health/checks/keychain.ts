import { result } from '../check';
import type { HealthCheck } from '../check';

/** Signing keys and connector secrets live only in the OS keychain (HOUSE rule 5). */
export const keychainCheck: HealthCheck = {
  id: 'keychain',
  title: 'OS keychain',
  run(context) {
    const probe = context.keychain();
    if (probe.available) return result(this, 'ok', 'The OS keychain answers.');
    return result(
      this,
      'fail',
      `No usable OS keychain: ${probe.reason.replace(/\.+$/, '')}. Evidence cannot be signed, so every gated action is denied.`,
      probe.advice ||
        'On Linux run a Secret Service (GNOME Keyring or KeePassXC) in this session, unlocked; then run "cavra keys provision --tenant T" for each tenant without a key.',
    );
  },
};
