import fs from 'node:fs';
import { probeGate } from '../../gate';
import { GateLocationError, checkGateDir, gateLocation } from '../../gate/client';
import { result } from '../check';
import type { HealthCheck } from '../check';

/** The gate answers for this data directory, from a directory only this user can open. */
export const gateCheck: HealthCheck = {
  id: 'gate',
  title: 'Runtime gate',
  async run(context) {
    const location = gateLocation(context.home);
    if (fs.existsSync(location.dir)) {
      try {
        checkGateDir(location);
      } catch (error) {
        if (!(error instanceof GateLocationError)) throw error;
        return result(
          this,
          'fail',
          `The gate directory cannot be trusted: ${error.message}`,
          `chmod 700 "${location.dir}" and make sure it belongs to you`,
        );
      }
    }
    const probe = await probeGate(context.home);
    if (!probe.running) {
      return result(
        this,
        'warn',
        `No gate answers on ${probe.socketPath}: adapters deny every action until one runs.`,
        'Open the console, or run: cavra gate serve',
      );
    }
    return result(
      this,
      'ok',
      `Listening on ${probe.socketPath}${probe.httpUrl ? ` and ${probe.httpUrl}` : ''} (pid ${probe.pid ?? 'unknown'}).`,
    );
  },
};
