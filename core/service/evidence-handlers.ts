import fs from 'node:fs';
import path from 'node:path';
import { ContractError } from '../contract';
import type { Principal } from '../contract';
import { LedgerInputError, LedgerSigningError, recordTypeNames, verifyBundle } from '../evidence';
import type { EvidenceLedgers, RecordType } from '../evidence';
import type { Handler, HandlerDeps } from './handlers';
import { bundleDirFor } from './bundle-location';

type EvidenceOperation =
  | 'evidence.status'
  | 'evidence.query'
  | 'evidence.record'
  | 'evidence.verify'
  | 'evidence.export'
  | 'evidence.bundle.verify'
  | 'evidence.retention.set'
  | 'evidence.prune';

const WATCH_INTERVAL_MS = 500;

/**
 * Announces new ledger records to the console, whichever process appended them (the gate,
 * `cavra evaluate` in another terminal): tenants someone has looked at are polled for size.
 */
class LedgerWatch {
  private readonly sizes = new Map<string, number>();
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly ledgers: EvidenceLedgers,
    private readonly deps: HandlerDeps,
  ) {}

  watch(tenant: string, size: number): void {
    if (!this.sizes.has(tenant)) this.sizes.set(tenant, size);
    if (this.timer) return;
    this.timer = setInterval(() => this.poll(), WATCH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private poll(): void {
    for (const [tenant, known] of this.sizes) {
      try {
        const ledger = this.ledgers.ledger(tenant);
        const size = ledger.size();
        if (size === known) continue;
        this.sizes.set(tenant, size);
        this.deps.events.emit('evidence.appended', tenant, {
          tenantId: tenant,
          size,
          approvalRecords: approvalChangedSince(ledger, known),
        });
      } catch {
        // A ledger that cannot be read now is reported by the next call that needs it.
      }
    }
  }
}

/** Newest approval records looked at per poll; a fuller window than this is taken as a change. */
const APPROVAL_WINDOW = 20;

/**
 * Did an approval record that changes a queue arrive since `known`? One indexed look-up (type,
 * seq) and the payloads of the few new ones: a reviewer opening a request (`viewed`) changes
 * nothing a queue shows, and refetching 10,000 rows on every look would be most of the work.
 */
function approvalChangedSince(ledger: ReturnType<EvidenceLedgers['ledger']>, known: number): boolean {
  const fresh = ledger.query({ types: ['approval'], limit: APPROVAL_WINDOW }).records.filter((r) => r.seq >= known);
  if (fresh.length === APPROVAL_WINDOW) return true;
  return fresh.some((r) => {
    const payload = ledger.record(r.seq)?.payload as { event?: unknown } | null | undefined;
    return payload?.event !== 'viewed';
  });
}

/**
 * Ledger errors that a person can act on cross the contract as they are: signing without a
 * keychain, a bad retention value. Others stay internal.
 */
async function plainly<T>(work: () => Promise<T> | T): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof LedgerSigningError) throw new ContractError('unavailable', error.message);
    if (error instanceof LedgerInputError) throw new ContractError('invalid_input', error.message);
    throw error;
  }
}

/** Exports go to the tenant's archive, never to a path the caller names (SPEC §1). */
function archiveDir(home: string, tenant: string, now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const base = path.join(home, 'archive', tenant, `evidence-${stamp}`);
  // Two exports in one second (a checkpoint anchor test, a script) each get their own folder
  // instead of the second failing on the first's.
  let dir = base;
  for (let n = 2; fs.existsSync(dir); n++) dir = `${base}-${n}`;
  return dir;
}

export function evidenceHandlers(
  ledgers: EvidenceLedgers,
  deps: HandlerDeps,
  now: () => Date = () => new Date(),
): {
  handlers: { [K in EvidenceOperation]: Handler<K> };
  stop: () => void;
  watchTenants: (tenants: readonly string[]) => void;
} {
  const watch = new LedgerWatch(ledgers, deps);
  const job = <T>(
    kind: string,
    tenant: string,
    principal: Principal,
    phase: string,
    work: Parameters<typeof deps.jobs.start<T>>[1],
  ) => ({ jobId: deps.jobs.start({ kind, tenant, principal, phase }, work) });

  return {
    stop: () => watch.stop(),
    /** A console subscribed: announce records appended to these tenants from now on. */
    watchTenants: (tenants: readonly string[]) => {
      for (const tenant of tenants) {
        try {
          watch.watch(tenant, ledgers.ledger(tenant).size());
        } catch {
          // A ledger that cannot be opened now is reported by the next call that needs it.
        }
      }
    },
    handlers: {
      'evidence.status': (ctx) => {
        const status = ledgers.ledger(ctx.tenant).status();
        watch.watch(status.tenant, status.size);
        return status;
      },
      'evidence.query': (ctx, input) => {
        const unknown = (input.types ?? []).find((type) => !(recordTypeNames as string[]).includes(type));
        if (unknown !== undefined) {
          throw new ContractError(
            'invalid_input',
            `types: "${unknown}" is not a record type (${recordTypeNames.join(', ')})`,
            'types',
          );
        }
        const ledger = ledgers.ledger(ctx.tenant);
        watch.watch(ctx.tenant, ledger.size());
        return ledger.query({ ...input, types: input.types as RecordType[] | undefined });
      },
      'evidence.record': (ctx, input) => {
        const record = ledgers.ledger(ctx.tenant).record(input.seq);
        if (!record) throw new ContractError('not_found', `seq: no record ${input.seq} in this ledger`, 'seq');
        return { ...record, header: { ...record.header } };
      },
      'evidence.verify': (ctx) =>
        job('evidence.verify', ctx.tenant, ctx.principal, 'Verifying records', async ({ signal, progress }) =>
          ledgers.ledger(ctx.tenant).verify({
            signal,
            onProgress: ({ done, total }) => progress({ done, total }),
          }),
        ),
      'evidence.export': (ctx, input) => {
        const tenant = ctx.tenant;
        const out = archiveDir(deps.tenants.home, tenant, now());
        return job('evidence.export', tenant, ctx.principal, 'Exporting records', async ({ signal, progress }) => {
          fs.mkdirSync(path.dirname(out), { recursive: true, mode: 0o700 });
          return plainly(() =>
            ledgers.ledger(tenant).export({
              out,
              from: input.from,
              to: input.to,
              signal,
              onProgress: ({ phase, done, total }) =>
                progress({
                  done,
                  total,
                  phase: phase === 'records' ? 'Exporting records' : 'Signing and writing the manifest',
                }),
            }),
          );
        });
      },
      'evidence.retention.set': (ctx, input) =>
        plainly(async () => {
          const ledger = ledgers.ledger(ctx.tenant);
          await ledger.setRetention({ days: input.days, legalHold: input.legalHold }, ctx.principal.id);
          return ledger.retention();
        }),
      'evidence.prune': (ctx) => plainly(() => ledgers.ledger(ctx.tenant).prune()),
      'evidence.bundle.verify': (ctx, input) => {
        // Refused before the job starts: a path into another tenant's data is never read.
        const dir = bundleDirFor(deps.tenants.home, ctx.tenant, input.path);
        return job(
          'evidence.bundle.verify',
          ctx.tenant,
          ctx.principal,
          'Verifying bundle',
          async ({ signal, progress }) => {
            const result = await verifyBundle(dir, {
              trustedKey: input.trustedKey,
              signal,
              onProgress: ({ done, total }) => progress({ done, total }),
            });
            return { ...result, checked: { ...result.checked } };
          },
        );
      },
    },
  };
}
