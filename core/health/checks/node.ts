import { result } from '../check';
import type { HealthCheck } from '../check';

const MINIMUM = [20, 19, 0] as const;

export const nodeCheck: HealthCheck = {
  id: 'node',
  title: 'Node.js',
  run() {
    const [major = 0, minor = 0, patch = 0] = process.versions.node.split('.').map(Number);
    const version = [major, minor, patch];
    const older = version.findIndex((part, i) => part !== MINIMUM[i]);
    const ok = older === -1 || (version[older] as number) > (MINIMUM[older] as number);
    return ok
      ? result(this, 'ok', `Node ${process.versions.node}.`)
      : result(
          this,
          'fail',
          `Node ${process.versions.node} is older than ${MINIMUM.join('.')}.`,
          `Install Node ${MINIMUM.join('.')} or newer.`,
        );
  },
};
