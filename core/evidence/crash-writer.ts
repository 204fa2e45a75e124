// Test fixture for ledger-crash.test.ts, run as its own process: appends to a tenant ledger
// with several appends in flight (group commit) and frequent checkpoints, and prints
// "ack <seq> <record hash>" only after each append has resolved. The test SIGKILLs it.
import { EvidenceLedgers } from './ledgers';
import { TenantDirectory } from '../tenants';

const [home, tenant, run] = process.argv.slice(2) as [string, string, string];
const tenants = new TenantDirectory(home);
const ledgers = new EvidenceLedgers(tenants, { checkpoints: { records: 16, seconds: 0.05 } });
const ledger = ledgers.ledger(tenant);

async function writer(id: number): Promise<never> {
  for (let i = 0; ; i++) {
    const receipt = await ledger.append({
      type: 'gap',
      payload: { source: `crash-run-${run}`, reason: `writer ${id} append ${i}`, missed: i },
    });
    process.stdout.write(`ack ${receipt.seq} ${receipt.recordHash}\n`);
  }
}

process.stdout.write('ready\n');
await Promise.all([0, 1, 2, 3, 4, 5].map(writer));
