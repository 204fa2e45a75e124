import { result } from '../check';
import type { HealthCheck } from '../check';

/** A tenant that cannot sign has its gated actions denied (no signed evidence, no action). */
export const signingKeysCheck: HealthCheck = {
  id: 'signing-keys',
  title: 'Evidence signing keys',
  run(context) {
    const tenants = context.tenants();
    const unable = tenants.filter((tenant) => tenant.signingKey.state !== 'ready');
    if (tenants.length === 0)
      return result(this, 'warn', 'No tenant is visible to you.', 'Create one: cavra tenants create ID --name NAME');
    if (unable.length === 0) return result(this, 'ok', `Every tenant (${tenants.length}) can sign its evidence.`);
    const names = unable
      .map((t) => `${t.id} (${t.signingKey.state === 'ready' ? '' : t.signingKey.message})`)
      .join('; ');
    const provisionable = unable.filter((t) => t.signingKey.state === 'no_key').map((t) => t.id);
    return result(
      this,
      'fail',
      `${unable.length} of ${tenants.length} tenants cannot sign evidence, so their gated actions are denied: ${names}`,
      provisionable.length > 0
        ? `With a working keychain: ${provisionable.map((id) => `cavra keys provision --tenant ${id}`).join('; ')}`
        : 'Make the OS keychain that holds the keys available to this user (see the keychain check).',
    );
  },
};
