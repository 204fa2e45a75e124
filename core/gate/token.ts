import crypto from 'node:crypto';
import fs from 'node:fs';
import type { GateLocation } from './client';
import { GateLocationError, checkGateDir, readGateToken } from './client';

/**
 * Makes the gate directory (0700) if it does not exist. An existing one with the wrong
 * owner or mode is refused, not repaired: someone else may already have been able to
 * plant a socket or read the token there.
 */
export function prepareGateDir(location: GateLocation): void {
  if (!fs.existsSync(location.dir)) fs.mkdirSync(location.dir, { recursive: false, mode: 0o700 });
  checkGateDir(location);
}

/** The per-install token: 32 random bytes, base64url, in a 0600 file created once. */
export function ensureGateToken(location: GateLocation): string {
  if (!fs.existsSync(location.token)) {
    const token = crypto.randomBytes(32).toString('base64url');
    try {
      // `wx`: never overwrite a token another process created a moment ago.
      fs.writeFileSync(location.token, `${token}\n`, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new GateLocationError(`cannot create the gate token at ${location.token}`);
      }
    }
  }
  return readGateToken(location);
}

/**
 * A constant-time check against the install token. Both sides are compared as SHA-256
 * digests, so neither the comparison time nor an early length mismatch says anything
 * about the expected token.
 */
export function tokenCheck(expected: string): (given: unknown) => boolean {
  const want = crypto.createHash('sha256').update(expected).digest();
  return (given) => {
    if (typeof given !== 'string' || given.length === 0 || given.length > 1024) return false;
    return crypto.timingSafeEqual(want, crypto.createHash('sha256').update(given).digest());
  };
}
