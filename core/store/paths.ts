import os from 'node:os';
import path from 'node:path';

export const PRODUCT_DIR_NAME = 'CAVRA Enterprise';

/** The OS application-data directory, the same place Electron's `userData` points to. */
export function defaultHome(env: NodeJS.ProcessEnv = process.env, platform = process.platform): string {
  if (env.CAVRA_HOME && env.CAVRA_HOME.trim() !== '') return path.resolve(env.CAVRA_HOME);
  const home = os.homedir();
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', PRODUCT_DIR_NAME);
  if (platform === 'win32') return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), PRODUCT_DIR_NAME);
  return path.join(env.XDG_CONFIG_HOME ?? path.join(home, '.config'), PRODUCT_DIR_NAME);
}

export function registryPath(home: string): string {
  return path.join(home, 'registry.sqlite');
}

/**
 * The tenant's own directory. Ids are validated by the contract already; this check is the
 * second line: whatever the id, the result must be a direct child of `<home>/tenants`.
 */
export function tenantDir(home: string, tenantId: string): string {
  const root = path.join(home, 'tenants');
  const dir = path.resolve(root, tenantId);
  if (path.dirname(dir) !== root || path.basename(dir) !== tenantId) {
    throw new Error(`Tenant id "${tenantId}" does not name a directory inside the data directory`);
  }
  return dir;
}

export function tenantDatabasePath(home: string, tenantId: string): string {
  return path.join(tenantDir(home, tenantId), 'tenant.sqlite');
}
