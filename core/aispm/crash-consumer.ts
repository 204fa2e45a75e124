// Test fixture for consumer.test.ts, run as its own process: consumes a tenant ledger into
// an AISPM store in small steps and prints "commit <cursor>" after each committed step. The
// test SIGKILLs it at random moments and checks that nothing was lost or applied twice.
import path from 'node:path';
import { Ledger } from '../evidence';
import { migrate, openDatabase, tenantMigrations } from '../store';
import { LedgerConsumer, ledgerSource } from './consumer';
import { StoreAispmRepository } from './store-repository';

const [dir, now, chunk] = process.argv.slice(2) as [string, string, string];
const db = openDatabase(path.join(dir, 'tenant.sqlite'));
migrate(db, tenantMigrations);
const readOnlyKeys = {
  publicKey: () => null,
  signer: () => {
    throw new Error('the crash consumer only reads the ledger');
  },
};
const ledger = new Ledger({ db, tenant: 'acme', keys: readOnlyKeys });
const repository = StoreAispmRepository.openFile(path.join(dir, 'crashed.sqlite'), 'acme');
const consumer = new LedgerConsumer(ledgerSource(ledger), repository, {
  chunk: Number(chunk),
  onCommit: (cursor) => process.stdout.write(`commit ${cursor}\n`),
});
process.stdout.write('ready\n');
for (;;) {
  const projection = await consumer.catchUp({ budgetMs: 0, now: Number(now) });
  if (projection.cursor >= ledger.size()) {
    process.stdout.write('done\n');
    break;
  }
}
