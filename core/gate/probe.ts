import fs from 'node:fs';
import net from 'node:net';
import { gateLocation } from './client';

export interface GateProbe {
  /** A gate answered on the socket just now. */
  running: boolean;
  socketPath: string;
  httpUrl: string | null;
  /** The process that wrote `endpoint.json` (this console, or `cavra gate serve`). */
  pid: number | null;
}

/** What is listening for this data directory, observed rather than remembered. */
export async function probeGate(home: string, timeoutMs = 500): Promise<GateProbe> {
  const location = gateLocation(home);
  let httpUrl: string | null = null;
  let pid: number | null = null;
  try {
    const endpoint = JSON.parse(fs.readFileSync(location.endpoint, 'utf8')) as { pid?: unknown; http_port?: unknown };
    if (typeof endpoint.http_port === 'number') httpUrl = `http://127.0.0.1:${endpoint.http_port}`;
    if (typeof endpoint.pid === 'number') pid = endpoint.pid;
  } catch {
    // No endpoint file: no gate started here, or it stopped cleanly.
  }
  const running = await new Promise<boolean>((resolve) => {
    const socket = net.createConnection(location.socket);
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
  return { running, socketPath: location.socket, httpUrl: running ? httpUrl : null, pid: running ? pid : null };
}
