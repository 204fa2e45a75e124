import { loadNativeAddon } from '../native-addons';
import fs from 'node:fs';
import os from 'node:os';
import type net from 'node:net';

export interface PeerCredentials {
  uid: number;
  gid: number;
  pid: number;
}

type Addon = { peerCredentials(fd: number): PeerCredentials };
let addon: Addon | null | undefined;

/** The addon built by `scripts/build.mjs` (native/peer-cred); null when it is not built. */
function loadAddon(): Addon | null {
  if (addon !== undefined) return addon;
  addon = null;
  if (process.platform === 'linux') addon = loadNativeAddon('peer-cred', 'peer_cred.node') as Addon | null;
  return addon;
}

/**
 * The uid, gid and pid of the process on the other end of a local socket, from the kernel
 * (SO_PEERCRED): what the gate records as the human actor behind an agent, never a field the
 * agent sets. Throws when they cannot be determined; callers deny (fail closed).
 */
export function socketPeer(socket: net.Socket): PeerCredentials {
  const native = loadAddon();
  if (!native) {
    throw new Error(
      process.platform === 'linux'
        ? 'the peer-credential addon is not built (run npm run build)'
        : `peer credentials are not supported on ${process.platform}`,
    );
  }
  const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new Error('the connection has no file descriptor');
  return native.peerCredentials(fd);
}

/** A uid's account name, for evidence (the uid is what is compared). */
export function osUserName(uid: number): string {
  if (uid === os.userInfo().uid) return os.userInfo().username;
  try {
    const line = fs
      .readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((entry) => entry.split(':')[2] === String(uid));
    return line?.split(':')[0] || `uid-${uid}`;
  } catch {
    return `uid-${uid}`;
  }
}
