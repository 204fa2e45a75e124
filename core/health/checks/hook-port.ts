import { describeListener, listenersOn, probeGate } from '../../gate';
import { result } from '../check';
import type { HealthCheck } from '../check';
import { installedHooks } from '../claude-settings';

const uid = (): number | null => (typeof process.getuid === 'function' ? process.getuid() : null);

/**
 * The http hook posts its bearer token to whatever listens on its port. Whoever listens
 * there must be this data directory's gate: another user, or another program of ours, would
 * get the token and could answer allow.
 */
export const hookPortCheck: HealthCheck = {
  id: 'hook-port',
  title: 'HTTP hook port',
  async run(context) {
    const ports = [
      ...new Set(
        installedHooks({
          managedDir: context.claudeManagedDir,
          userHome: context.userHome,
          projects: context.projects,
        }).flatMap((hook) => (hook.type === 'http' && hook.port ? [hook.port] : [])),
      ),
    ];
    if (ports.length === 0)
      return result(this, 'ok', 'No http hook is installed; the command hook uses the gate socket.');
    const gate = await probeGate(context.home);
    const gatePort = gate.httpUrl ? Number(new URL(gate.httpUrl).port) : null;
    const problems: string[] = [];
    const notes: string[] = [];
    for (const port of ports) {
      const listeners = listenersOn(port);
      if (listeners === null) {
        notes.push(`who listens on ${port} cannot be read on ${process.platform}`);
        continue;
      }
      if (listeners.length === 0) {
        notes.push(`nothing listens on ${port}: http hook calls are blocked until the gate runs there`);
        continue;
      }
      for (const listener of listeners) {
        const ours = listener.uid === uid();
        const isGate =
          ours && gate.running && gatePort === port && (listener.pid === null || listener.pid === gate.pid);
        if (!isGate) problems.push(`port ${port} is held by ${describeListener(listener)}, not by this CAVRA gate`);
      }
    }
    if (problems.length > 0) {
      return result(
        this,
        'fail',
        `The http hook sends its token to a listener that is not the gate: ${problems.join('; ')}.`,
        'Stop that program, then start the gate on the port (cavra gate serve --http-port N); on a machine shared with other users, use the command hook (cavra hook install claude-code, without --http).',
      );
    }
    if (notes.length > 0) return result(this, 'warn', `${notes.join('; ')}.`, 'Start the gate: cavra gate serve');
    return result(
      this,
      'ok',
      `The gate itself holds the http hook port${ports.length > 1 ? 's' : ''} ${ports.join(', ')}.`,
    );
  },
};
