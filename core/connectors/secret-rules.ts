import crypto from 'node:crypto';
import { connectorSecrets } from '../contract';
import type { ConnectorConfig, SecretSlot } from '../contract';
import { webhookKey } from './webhook';

/**
 * What a secret must look like for its connector, checked before it reaches the keychain.
 * The message names the rule and never the value.
 */
export function checkSecret(connector: ConnectorConfig, slot: SecretSlot, value: string): string | null {
  if (!connectorSecrets[connector.kind].some((spec) => spec.slot === slot)) {
    return `a ${connector.kind} connector has no "${slot}" secret`;
  }
  if (slot === 'dkim') {
    try {
      crypto.createPrivateKey(value);
      return null;
    } catch {
      return 'must be a PEM private key (the DKIM signing key)';
    }
  }
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) return 'must not contain control characters or line breaks';
  switch (connector.kind) {
    case 'webhook':
      return webhookKey(value) ? null : 'must be a Standard Webhooks secret: whsec_ followed by 24–64 bytes in base64';
    case 'slack':
    case 'teams':
      try {
        return new URL(value).protocol === 'https:' ? null : 'must be the https:// incoming-webhook URL';
      } catch {
        return 'must be the https:// incoming-webhook URL';
      }
    default:
      return null;
  }
}
