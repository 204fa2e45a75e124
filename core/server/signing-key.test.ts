// The server's evidence signing key comes from its configuration (CAVRA_SIGNING_KEY[_FILE]), not
// a per-replica keychain: every replica given the same secret signs a tenant's checkpoints with
// the same key, tenants never share one, and a missing or malformed setting stops the server by
// name without echoing what it held. The real process: core/server/server.test.ts.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/support/temp-home';
import { ServerConfigError } from './config';
import { SIGNING_KEY_SETTING, signingKeyConfig } from './signing-key';

describe('the server signing key source', () => {
  const secret = crypto.randomBytes(32).toString('base64');

  it('derives one Ed25519 key per tenant, the same from the same secret, another from another secret', () => {
    const one = signingKeyConfig({ CAVRA_SIGNING_KEY: secret });
    const again = signingKeyConfig({ CAVRA_SIGNING_KEY: secret });
    const other = signingKeyConfig({ CAVRA_SIGNING_KEY: crypto.randomBytes(32).toString('base64') });
    expect(one('acme').keyId).toBe(again('acme').keyId);
    expect(one('acme').keyId).not.toBe(one('globex').keyId);
    expect(one('acme').keyId).not.toBe(other('acme').keyId);
    const message = Buffer.from('checkpoint');
    // Ed25519 signatures are deterministic: the same private key, the same signature.
    expect(again('acme').sign(message).equals(one('acme').sign(message))).toBe(true);
    expect(one('globex').sign(message).equals(one('acme').sign(message))).toBe(false);
  });

  it('reads a mounted secret file (trailing newline and all)', () => {
    const home = tempHome('cavra-signing-key-');
    try {
      const file = path.join(home.home, 'signing-key');
      fs.writeFileSync(file, `${secret}\n`, { mode: 0o600 });
      expect(signingKeyConfig({ CAVRA_SIGNING_KEY_FILE: file })('acme').keyId).toBe(
        signingKeyConfig({ CAVRA_SIGNING_KEY: secret })('acme').keyId,
      );
      expect(() => signingKeyConfig({ CAVRA_SIGNING_KEY_FILE: path.join(home.home, 'missing') })).toThrow(
        /CAVRA_SIGNING_KEY_FILE: cannot read/,
      );
    } finally {
      home.cleanup();
    }
  });

  it.each([
    ['missing', {}, /No evidence signing key: set CAVRA_SIGNING_KEY or CAVRA_SIGNING_KEY_FILE/],
    ['both set', { CAVRA_SIGNING_KEY: secret, CAVRA_SIGNING_KEY_FILE: '/nonexistent' }, /not both/],
    ['too short', { CAVRA_SIGNING_KEY: crypto.randomBytes(16).toString('base64') }, /must be 32 bytes in base64/],
    ['too long', { CAVRA_SIGNING_KEY: crypto.randomBytes(64).toString('base64') }, /must be 32 bytes in base64/],
    ['not base64', { CAVRA_SIGNING_KEY: `hunter2 ${'x'.repeat(40)}` }, /must be 32 bytes in base64/],
    ['hex, not base64', { CAVRA_SIGNING_KEY: crypto.randomBytes(32).toString('hex') }, /must be 32 bytes in base64/],
  ])('refuses a %s key by naming the setting, never its value', (_, env, message) => {
    let thrown: unknown;
    try {
      signingKeyConfig(env);
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ServerConfigError);
    expect((thrown as Error).message).toMatch(message);
    expect((thrown as Error).message).toContain(SIGNING_KEY_SETTING);
    const value = (env as Record<string, string>).CAVRA_SIGNING_KEY;
    if (value) expect((thrown as Error).message).not.toContain(value);
  });
});
