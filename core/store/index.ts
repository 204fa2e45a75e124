export { openDatabase } from './database';
export type { SqliteDatabase, OpenOptions } from './database';
export { migrate } from './migrations';
export type { Migration, MigrationSet } from './migrations';
export { registryMigrations, tenantMigrations } from './schema';
export { defaultHome, registryPath, tenantDir, tenantDatabasePath } from './paths';
