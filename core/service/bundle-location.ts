import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../contract';

/** `p` with every existing leading part resolved through symlinks (the rest as written). */
function realish(p: string): string {
  const rest: string[] = [];
  let current = p;
  for (;;) {
    try {
      return path.join(fs.realpathSync(current), ...rest);
    } catch {
      const parent = path.dirname(current);
      if (parent === current) return p;
      rest.unshift(path.basename(current));
      current = parent;
    }
  }
}

const within = (p: string, dir: string) => p === dir || p.startsWith(dir + path.sep);

/**
 * The bundle directory the core may read for a member of `tenant` (SPEC §6, §7): anything
 * under the tenant's own archive, or anything outside this install's data directory (a bundle
 * the person picked: removable media, a download). Any other path inside the data directory,
 * another tenant's archive first of all, is refused before it is touched, with the same words
 * whether it exists or not: the verifier would otherwise tell a member of one tenant another
 * tenant's name, key and tree root. Checked as written and through symlinks, so a link planted
 * outside the data directory cannot point back into it.
 */
export function bundleDirFor(home: string, tenant: string, given: string): string {
  const written = path.resolve(given);
  const real = realish(written);
  const homeWritten = path.resolve(home);
  const homeReal = realish(homeWritten);
  const refused =
    (within(written, homeWritten) && !within(written, path.join(homeWritten, 'archive', tenant))) ||
    (within(real, homeReal) && !within(real, path.join(homeReal, 'archive', tenant)));
  if (refused) {
    throw new ContractError(
      'forbidden',
      `path: inside CAVRA's data directory the console verifies only this tenant's own exports (${path.join(homeWritten, 'archive', tenant)}); pick a bundle there or outside the data directory`,
      'path',
    );
  }
  return real;
}
