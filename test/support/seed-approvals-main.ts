// `tsx test/support/seed-approvals-main.ts <CAVRA_HOME> <count>`: seeds pending approval requests
// through the core (see seed-approvals.ts) and prints them, in queue order, as JSON. For specs
// whose runner cannot load the core itself (Playwright's loader).
import { seedPendingApprovals } from './seed-approvals';

const [home, count] = process.argv.slice(2);
if (!home || !count || !/^\d+$/.test(count)) {
  process.stderr.write('usage: seed-approvals-main.ts <CAVRA_HOME> <count>\n');
  process.exit(2);
}
const seeded = await seedPendingApprovals(home, Number(count));
process.stdout.write(JSON.stringify(seeded));
