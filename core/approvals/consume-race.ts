// Test fixture for lifecycle.test.ts, run as its own process: opens the tenant's approvals and
// ledger on a shared data directory, says "ready", waits for "go" on stdin, then tries to use
// one approved request and prints what it got ("used <state>" or "none"). Several of these
// race on one SQLite file.
import readline from 'node:readline';
import { EvidenceLedgers } from '../evidence';
import { SqliteStore } from '../store';
import { TenantDirectory } from '../tenants';
import { ApprovalDesk } from './desk';
import { StoredApprovalRepository } from './repository';

const [home, tenant, id, correlation] = process.argv.slice(2) as [string, string, string, string];
const tenants = new TenantDirectory(home);
const ledgers = new EvidenceLedgers(tenants);
const desk = new ApprovalDesk({
  repository: new StoredApprovalRepository(new SqliteStore({ tenant: (t) => tenants.store(t) })),
  record: async (t, event) => (await ledgers.ledger(t).append({ type: 'approval', payload: event })).seq,
});
const request = await desk.get(tenant, id);
if (!request) throw new Error(`no request ${id}`);
process.stdout.write('ready\n');
const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (line.trim() !== 'go') continue;
  const used = await desk.consume(request.binding, correlation, id, `agent:${correlation}`);
  process.stdout.write(used ? `used ${used.state}\n` : 'none\n');
  break;
}
lines.close();
ledgers.close();
tenants.close();
