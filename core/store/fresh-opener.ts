// Test helper process (sqlite-store.test.ts): opens and migrates one database file, as a CLI or
// console starting on a fresh CAVRA_HOME does, once every sibling process is ready to race it.
import fs from 'node:fs';
import { migrate } from './migrations';
import { openDatabase } from './database';
import { tenantMigrations } from './schema';

const [file, go] = process.argv.slice(2) as [string, string];
while (!fs.existsSync(go)) await new Promise((resolve) => setTimeout(resolve, 2));
const db = openDatabase(file);
migrate(db, tenantMigrations);
db.close();
