import fs from 'node:fs';

/** A process listening on a TCP port, as far as this user can see it. */
export interface PortListener {
  address: string;
  /** Owner of the listening socket (from /proc/net/tcp); always known on Linux. */
  uid: number;
  /** Known only when the process is this user's (or this user is root). */
  pid: number | null;
  command: string | null;
}

const LISTEN = '0A';

function ipv4(hex: string): string {
  const bytes = Buffer.from(hex, 'hex');
  return `${bytes[3]}.${bytes[2]}.${bytes[1]}.${bytes[0]}`;
}

function ipv6(hex: string): string {
  // /proc writes four little-endian 32-bit words.
  const words = hex.match(/.{8}/g) ?? [];
  const bytes = Buffer.concat(words.map((w) => Buffer.from(w, 'hex').reverse()));
  if (bytes.subarray(0, 10).every((b) => b === 0) && bytes[10] === 0xff && bytes[11] === 0xff) {
    return `::ffff:${bytes[12]}.${bytes[13]}.${bytes[14]}.${bytes[15]}`;
  }
  return bytes.every((b) => b === 0) ? '::' : (bytes.toString('hex').match(/.{4}/g) ?? []).join(':');
}

/** The process holding a socket inode, searched among the processes this user may inspect. */
function processOf(inode: string): { pid: number; command: string | null } | null {
  const target = `socket:[${inode}]`;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let fds: string[];
    try {
      fds = fs.readdirSync(`/proc/${entry}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      try {
        if (fs.readlinkSync(`/proc/${entry}/fd/${fd}`) !== target) continue;
      } catch {
        continue;
      }
      let command: string | null = null;
      try {
        command = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ').slice(0, 200);
      } catch {
        // gone meanwhile
      }
      return { pid: Number(entry), command };
    }
  }
  return null;
}

/**
 * Who listens on a TCP port of this machine (any address), read from /proc: the socket's
 * owner always, the process when it is ours. Null where /proc is not there (macOS,
 * Windows): then nobody can say.
 */
export function listenersOn(port: number): PortListener[] | null {
  const found: PortListener[] = [];
  let readable = false;
  for (const [file, decode] of [
    ['/proc/net/tcp', ipv4],
    ['/proc/net/tcp6', ipv6],
  ] as const) {
    let text: string;
    try {
      text = fs.readFileSync(file, 'utf8');
      readable = true;
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10 || fields[3] !== LISTEN) continue;
      const [address, portHex] = (fields[1] as string).split(':') as [string, string];
      if (parseInt(portHex, 16) !== port) continue;
      const owner = processOf(fields[9] as string);
      found.push({
        address: decode(address),
        uid: Number(fields[7]),
        pid: owner?.pid ?? null,
        command: owner?.command ?? null,
      });
    }
  }
  return readable ? found : null;
}

const uid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);

/** Says who a listener is, for messages: "pid 4242 (nc -l 47115)" or "uid 1001, another user". */
export function describeListener(listener: PortListener): string {
  const me = uid();
  if (me !== null && listener.uid !== me) return `another user (uid ${listener.uid}) on ${listener.address}`;
  if (listener.pid !== null)
    return `pid ${listener.pid}${listener.command ? ` (${listener.command})` : ''} on ${listener.address}`;
  return `a process of this user on ${listener.address}`;
}
