// Issue 8 item 7: one record-stream verifier, two sources. Each corruption is made twice — in
// the ledger's SQLite file (as whoever can write it would: triggers dropped, hashes
// recomputed where that hides the edit from the stored-hash check) and in an exported bundle's
// files — and both paths must refuse it at the same record, for the same rule. Before the
// verifier was shared, the ledger accepted a pruned checkpoint record and time going backwards.
import fs from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyBundle } from './bundle-verify';
import { canonicalize } from './canonical-json';
import { HIGH_WATER_FILE } from './ledger';
import type { LedgerVerification } from './ledger';
import type { RecordHeader } from './record';
import { isoTime, recordHash } from './record';
import type { SqliteDatabase } from '../store';
import { ledgerFixture, requireKeychain, sampleDecision, truncateLedger } from './testing';
import { readWitness } from './witness';

type Fixture = ReturnType<typeof ledgerFixture>;
const open: Fixture[] = [];
afterEach(() => open.splice(0).forEach((f) => f.close()));

interface Row {
  seq: number;
  time_ms: number;
  type: string;
  payload_sha256: Buffer;
  record_hash: Buffer;
  payload: string | null;
  pruned_by: number | null;
  decision: string | null;
  agent: string | null;
  session: string | null;
}

/** 60 records, checkpoints every 10, the first 40 pruned under one signed tombstone; a full bundle. */
async function site() {
  requireKeychain();
  let now = Date.parse('2026-03-01T00:00:00.000Z');
  const f = ledgerFixture({ now: () => new Date(now), checkpoints: { records: 10, seconds: 3600 } });
  open.push(f);
  const append = (from: number, count: number) =>
    f.ledger.appendMany(
      Array.from({ length: count }, (_, i) => ({ type: 'decision' as const, payload: sampleDecision(from + i) })),
    );
  await append(0, 40);
  now += 100 * 86_400_000;
  await append(40, 20);
  await f.ledger.setRetention({ days: 90, legalHold: false }, 'compliance@acme.example');
  const pruned = await f.ledger.prune();
  await append(60, 15);
  f.ledger.checkpoint();
  const db = f.tenants.store('acme');
  // Whoever edits the file directly drops the append-only triggers first.
  for (const { name } of db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").all() as {
    name: string;
  }[])
    db.exec(`DROP TRIGGER "${name}"`);
  const bundle = path.join(f.home, 'bundle');
  await f.ledger.export({ out: bundle });
  const row = (seq: number) => db.prepare('SELECT * FROM ledger_records WHERE seq = ?').get(seq) as Row;
  return { f, db, bundle, tombstone: pruned.tombstone as number, row };
}
type Site = Awaited<ReturnType<typeof site>>;

const lines = (dir: string, file: string) => fs.readFileSync(path.join(dir, file), 'utf8').split('\n').slice(0, -1);
const writeLines = (dir: string, file: string, content: string[]) =>
  fs.writeFileSync(path.join(dir, file), `${content.join('\n')}\n`);
const editLine = (dir: string, file: string, index: number, edit: (line: string) => string) => {
  const content = lines(dir, file);
  content[index] = edit(content[index] as string);
  writeLines(dir, file, content);
};
const editRecord = (s: Site, seq: number, edit: (record: Record<string, unknown>) => void) =>
  editLine(s.bundle, 'records.jsonl', seq, (line) => {
    const record = JSON.parse(line) as Record<string, unknown>;
    edit(record);
    return canonicalize(record);
  });

/** The header a row stands for, linked to the stored hash before it. */
function headerOf(s: Site, row: Row): RecordHeader {
  return {
    v: 1,
    seq: row.seq,
    time: isoTime(row.time_ms),
    type: row.type,
    prev: row.seq === 0 ? '0'.repeat(64) : s.row(row.seq - 1).record_hash.toString('hex'),
    payload_sha256: row.payload_sha256.toString('hex'),
  };
}

function rehash(s: Site, seq: number): void {
  s.db.prepare('UPDATE ledger_records SET record_hash = ? WHERE seq = ?').run(recordHash(headerOf(s, s.row(seq))), seq);
}

function swapRows(db: SqliteDatabase, a: number, b: number): void {
  const columns = 'time_ms, type, payload_sha256, record_hash, payload, pruned_by, decision, agent, session';
  db.transaction(() => {
    const [ra, rb] = [a, b].map((seq) =>
      db.prepare(`SELECT ${columns} FROM ledger_records WHERE seq = ?`).get(seq),
    ) as Record<string, unknown>[];
    const set = `UPDATE ledger_records SET ${columns
      .split(', ')
      .map((c) => `${c} = @${c}`)
      .join(', ')} WHERE seq = @seq`;
    db.prepare(set).run({ ...rb, seq: a });
    db.prepare(set).run({ ...ra, seq: b });
  })();
}

/** A checkpoint the site signed after the pruning, inside the records' second half. */
const laterCheckpoint = (s: Site) =>
  (
    s.f.ledger.checkpointsBetween(45, s.f.ledger.size()).find((cp) => cp.size < s.f.ledger.size() - 2) as {
      size: number;
    }
  ).size;

interface Corruption {
  name: string;
  apply(s: Site): Promise<{ seq: number | null; reason: RegExp; sameReason: boolean }>;
}

const corruptions: Corruption[] = [
  {
    name: 'an edited payload',
    async apply(s) {
      const row = s.row(50);
      s.db
        .prepare('UPDATE ledger_records SET payload = ? WHERE seq = 50')
        .run(row.payload?.replace('terraform', 'terraforn'));
      editLine(s.bundle, 'records.jsonl', 50, (line) => line.replace('terraform', 'terraforn'));
      return {
        seq: 50,
        reason: /^record 50: the payload does not match its payload_sha256 \(edited\)$/,
        sameReason: true,
      };
    },
  },
  {
    name: 'a dropped record',
    async apply(s) {
      s.db.prepare('DELETE FROM ledger_records WHERE seq = 47').run();
      s.db.prepare('DELETE FROM ledger_record_rules WHERE seq = 47').run();
      writeLines(s.bundle, 'records.jsonl', lines(s.bundle, 'records.jsonl').toSpliced(47, 1));
      return { seq: 47, reason: /^expected record 47 here but found record 48/, sameReason: true };
    },
  },
  {
    name: 'two records reordered',
    async apply(s) {
      // A ledger row's sequence number is its key, so there a moved record shows as a header
      // that no longer reproduces its stored hash; a bundle line names its own.
      swapRows(s.db, 52, 53);
      const content = lines(s.bundle, 'records.jsonl');
      writeLines(s.bundle, 'records.jsonl', content.toSpliced(52, 2, content[53] as string, content[52] as string));
      return {
        seq: 52,
        reason: /^record 52: its stored hash does not match|^expected record 52 here but found record 53/,
        sameReason: false,
      };
    },
  },
  {
    name: 'an inserted record (a copy, linked to its predecessor, hashes recomputed)',
    async apply(s) {
      const at = laterCheckpoint(s) - 1;
      const before = s.row(at - 1);
      const header: RecordHeader = { ...headerOf(s, before), seq: at, prev: before.record_hash.toString('hex') };
      s.db.transaction(() => {
        for (const table of ['ledger_records', 'ledger_record_rules']) {
          s.db.prepare(`UPDATE ${table} SET seq = seq + 1000000 WHERE seq >= ?`).run(at);
          s.db.prepare(`UPDATE ${table} SET seq = seq - 999999 WHERE seq >= 1000000`).run();
        }
        s.db
          .prepare(
            'INSERT INTO ledger_records (seq, time_ms, type, payload_sha256, record_hash, payload, pruned_by, decision, agent, session) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?)',
          )
          .run(
            at,
            before.time_ms,
            before.type,
            before.payload_sha256,
            recordHash(header),
            before.payload,
            before.decision,
            before.agent,
            before.session,
          );
      })();
      const content = lines(s.bundle, 'records.jsonl');
      writeLines(
        s.bundle,
        'records.jsonl',
        content.toSpliced(at, 0, canonicalize({ ...header, payload: JSON.parse(before.payload as string) })),
      );
      return {
        seq: at,
        reason: new RegExp(
          `^the records up to ${at} do not produce the signed root of the checkpoint at size ${at + 1}$`,
        ),
        sameReason: true,
      };
    },
  },
  {
    name: 'a checkpoint record claimed pruned (checkpoints and tombstones are never pruned)',
    async apply(s) {
      const cp = s.f.ledger.checkpointsBetween(1, 40).at(-1) as { size: number };
      const seq = cp.size;
      expect(s.row(seq).type).toBe('checkpoint');
      s.db.prepare('UPDATE ledger_records SET payload = NULL, pruned_by = ? WHERE seq = ?').run(s.tombstone, seq);
      editRecord(s, seq, (record) => {
        record.payload = null;
        record.pruned_by = s.tombstone;
      });
      return {
        seq,
        reason: new RegExp(`^record ${seq} is outside what tombstone ${s.tombstone} pruned$`),
        sameReason: true,
      };
    },
  },
  {
    name: 'time going backwards (hash recomputed)',
    async apply(s) {
      const earlier = s.row(54).time_ms - 1000;
      s.db.prepare('UPDATE ledger_records SET time_ms = ? WHERE seq = 55').run(earlier);
      rehash(s, 55);
      editRecord(s, 55, (record) => {
        record.time = isoTime(earlier);
      });
      return { seq: 55, reason: /^record 55 goes back in time$/, sameReason: true };
    },
  },
  {
    name: 'a bad checkpoint signature',
    async apply(s) {
      const size = laterCheckpoint(s);
      const tamper = (note: string) =>
        note.replace(/(— \S+ )(.)/, (_m, head: string, c: string) => `${head}${c === 'A' ? 'B' : 'A'}`);
      const { note } = s.db.prepare('SELECT note FROM ledger_checkpoints WHERE size = ?').get(size) as { note: string };
      expect(tamper(note)).not.toBe(note);
      s.db.prepare('UPDATE ledger_checkpoints SET note = ? WHERE size = ?').run(tamper(note), size);
      const index = lines(s.bundle, 'checkpoints.jsonl').findIndex(
        (line) => (JSON.parse(line) as { size: number }).size === size,
      );
      editLine(s.bundle, 'checkpoints.jsonl', index, (line) => {
        const entry = JSON.parse(line) as { note: string };
        return canonicalize({ ...entry, note: tamper(entry.note) });
      });
      return { seq: null, reason: new RegExp(`^checkpoint at size ${size}: `), sameReason: true };
    },
  },
  {
    name: 'a log replaced under the high-water mark',
    async apply(s) {
      const witness = path.join(path.dirname(s.db.name), HIGH_WATER_FILE);
      // Cut right after a checkpoint that came after the pruning, so what is left is a well-formed, signed ledger.
      const early = s.f.ledger.checkpointsBetween(s.tombstone + 1, s.f.ledger.size())[0] as { size: number };
      truncateLedger(s.db, early.size + 1);
      expect(s.f.ledger.size()).toBe(early.size + 1);
      for (let i = 0; i < 40; i++) await s.f.ledger.append({ type: 'decision', payload: sampleDecision(500 + i) });
      // The replaced log's own bundle: exported with the high-water file out of the way.
      fs.renameSync(witness, `${witness}.aside`);
      fs.rmSync(s.bundle, { recursive: true });
      await s.f.ledger.export({ out: s.bundle });
      fs.renameSync(`${witness}.aside`, witness);
      return { seq: null, reason: /history was rewritten/, sameReason: false };
    },
  },
];

describe('one verifier, two sources: the ledger and its bundle refuse the same corruption at the same record', () => {
  it('an untouched ledger and its bundle both verify', async () => {
    const s = await site();
    expect(await s.f.ledger.verify()).toMatchObject({ ok: true });
    expect((await verifyBundle(s.bundle)).failure).toBeNull();
  }, 60_000);

  it.each(corruptions)(
    '$name',
    async (corruption) => {
      const s = await site();
      const expected = await corruption.apply(s);
      const witness = readWitness(path.join(path.dirname(s.db.name), HIGH_WATER_FILE));
      const ledger = (await s.f.ledger.verify()) as Extract<LedgerVerification, { ok: false }>;
      const bundle = await verifyBundle(s.bundle, { witness });
      expect(ledger.ok, 'the ledger must not verify').toBe(false);
      expect(bundle.ok, 'the bundle must not verify').toBe(false);
      expect(ledger.reason).toMatch(expected.reason);
      expect(bundle.failure?.reason).toMatch(expected.reason);
      if (expected.sameReason) expect(bundle.failure?.reason).toBe(ledger.reason);
      if (expected.seq !== null) {
        expect(ledger.seq).toBe(expected.seq);
        expect(bundle.failure?.seq).toBe(expected.seq);
      }
    },
    60_000,
  );
});
