import fs from 'node:fs';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { TenantDirectory } from '../tenants';
import { openCheckpoint } from './checkpoint-note';
import { EvidenceLedgers } from './ledgers';
import { LedgerAppendError, LedgerInputError, LedgerSigningError } from './errors';
import { HIGH_WATER_FILE, Ledger } from './ledger';
import { leafHash, verifyConsistency, verifyInclusion } from './merkle';
import { GENESIS_PREV } from './record';
import { ledgerFixture, requireKeychain, sampleDecision, truncateLedger } from './testing';
import { readWitness } from './witness';

beforeAll(requireKeychain);

const cleanups: (() => void)[] = [];
afterEach(() => cleanups.splice(0).forEach((fn) => fn()));

function fixture(options?: Parameters<typeof ledgerFixture>[0]) {
  const f = ledgerFixture(options);
  cleanups.push(f.close);
  return f;
}

describe('evidence ledger', () => {
  it('appends chained, canonical records and verifies', async () => {
    const { ledger } = fixture();
    const first = await ledger.append({ type: 'decision', payload: sampleDecision(0) });
    const second = await ledger.append({
      type: 'config_change',
      payload: { change: 'policy.assign', by: 'admin@acme.example', packs: ['baseline'] },
    });
    expect([first.seq, second.seq]).toEqual([0, 1]);
    const r0 = ledger.record(0);
    const r1 = ledger.record(1);
    expect(r0?.header.prev).toBe(GENESIS_PREV);
    expect(r1?.header.prev).toBe(first.recordHash);
    expect(r1?.recordHash).toBe(second.recordHash);
    expect(r1?.payload).toEqual({ change: 'policy.assign', by: 'admin@acme.example', packs: ['baseline'] });
    expect(Date.parse(second.time)).toBeGreaterThanOrEqual(Date.parse(first.time));
    expect(await ledger.verify()).toMatchObject({ ok: true, size: 2 });
  });

  it('group-commits concurrent appends into a gap-free sequence', async () => {
    const { ledger } = fixture();
    const receipts = await Promise.all(
      Array.from({ length: 300 }, (_, i) => ledger.append({ type: 'decision', payload: sampleDecision(i) })),
    );
    const seqs = receipts.map((r) => r.seq);
    expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
    expect(new Set(seqs).size).toBe(300);
    expect((await ledger.verify()).ok).toBe(true);
  });

  it('refuses payloads that do not fit their type, and types callers may not write', async () => {
    const { ledger } = fixture();
    await expect(ledger.append({ type: 'decision', payload: { decision: {} } })).rejects.toThrow(LedgerInputError);
    await expect(ledger.append({ type: 'checkpoint' as 'gap', payload: { source: 'x', reason: 'y' } })).rejects.toThrow(
      /not a record type callers may append/,
    );
    await expect(
      ledger.append({ type: 'gap', payload: { source: 'hook', reason: 'x', extra: Number.NaN } }),
    ).rejects.toThrow(/not a JSON number/);
    await expect(
      ledger.append({ type: 'gap', payload: { source: 'hook', reason: 'x', blob: 'a'.repeat(300_000) } }),
    ).rejects.toThrow(/larger than/);
    expect(ledger.size()).toBe(0);
  });

  it('rejects every append of a batch whose commit fails, and continues cleanly afterwards', async () => {
    const { ledger, tenants } = fixture();
    await ledger.append({ type: 'gap', payload: { source: 'test', reason: 'before' } });
    const db = tenants.store('acme');
    db.exec(
      `CREATE TEMP TRIGGER fail_insert BEFORE INSERT ON ledger_records BEGIN SELECT RAISE(ABORT, 'disk full'); END`,
    );
    const failed = await Promise.allSettled([
      ledger.append({ type: 'gap', payload: { source: 'test', reason: 'a' } }),
      ledger.append({ type: 'gap', payload: { source: 'test', reason: 'b' } }),
    ]);
    for (const outcome of failed) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(LedgerAppendError);
      expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/could not be committed: disk full/);
    }
    db.exec('DROP TRIGGER fail_insert');
    const after = await ledger.append({ type: 'gap', payload: { source: 'test', reason: 'after' } });
    expect(after.seq).toBe(1);
    expect((await ledger.verify()).ok).toBe(true);
  });

  it('signs a checkpoint every N records, as a checkpoint record, with verifiable proofs', async () => {
    const { ledger, tenants } = fixture({ checkpoints: { records: 8, seconds: 3600 } });
    for (let i = 0; i < 20; i++) await ledger.append({ type: 'decision', payload: sampleDecision(i) });
    // 8 records, checkpoint record (seq 8), 8 more (9–16), checkpoint record (seq 17), 4 more.
    const checkpoints = ledger.checkpointsBetween(0, 100);
    expect(checkpoints.map((cp) => cp.size)).toEqual([8, 17]);
    expect(ledger.record(8)?.header.type).toBe('checkpoint');
    expect(ledger.status().uncovered).toBe(4);
    const key = tenants.signingPublicKey('acme')?.publicKey as Buffer;
    const [a, b] = checkpoints.map((cp) => openCheckpoint(cp.note, key, ledger.origin));
    expect(verifyConsistency(8, 17, a?.root as Buffer, b?.root as Buffer, ledger.consistencyProof(8, 17))).toBe(true);
    const detail = ledger.record(5);
    expect(detail?.proof?.checkpoint.size).toBe(17);
    expect(
      verifyInclusion(
        Buffer.from(detail?.leafHash ?? '', 'hex'),
        5,
        17,
        (detail?.proof?.path ?? []).map((p) => Buffer.from(p, 'base64')),
        b?.root as Buffer,
      ),
    ).toBe(true);
    expect(ledger.record(18)?.proof?.checkpoint.size).toBeUndefined();
    const forced = ledger.checkpoint();
    expect(forced.size).toBe(22);
    expect(ledger.checkpoint().size).toBe(22); // nothing new to cover: no new checkpoint
    expect(await ledger.verify()).toMatchObject({ ok: true, checkpoints: 3 });
  });

  it('signs a checkpoint T seconds after an uncovered record even without more appends', async () => {
    const { ledger } = fixture({ checkpoints: { records: 1000, seconds: 0.2 } });
    await ledger.append({ type: 'gap', payload: { source: 'test', reason: 'lonely' } });
    expect(ledger.latestCheckpoint()).toBeNull();
    // The timer fires after 0.2 s; a loaded machine may take longer to run it.
    for (let waited = 0; waited < 10_000 && !ledger.latestCheckpoint(); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ledger.latestCheckpoint()?.size).toBe(1);
    await new Promise((resolve) => setTimeout(resolve, 400));
    // The checkpoint record itself does not call for another checkpoint.
    expect(ledger.checkpointsBetween(0, 100)).toHaveLength(1);
  });

  it('a long-lived reader signs the checkpoint for records another process appended and left', async () => {
    const { home, ledger } = fixture({ checkpoints: { records: 1000, seconds: 0.2 } });
    // The "other process": appends and closes before its own timer could sign (a short CLI run).
    const other = new TenantDirectory(home);
    const otherLedgers = new EvidenceLedgers(other, { checkpoints: { records: 1000, seconds: 3600 } });
    await otherLedgers.ledger('acme').append({ type: 'gap', payload: { source: 'cli', reason: 'short-lived writer' } });
    otherLedgers.close();
    other.close();
    expect(ledger.size()).toBe(1);
    for (let waited = 0; waited < 10_000 && !ledger.latestCheckpoint(); waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(ledger.latestCheckpoint()?.size).toBe(1);
    expect((await ledger.verify()).ok).toBe(true);
  });

  it('keeps one chain when two writers (two connections, as two processes) append to one tenant', async () => {
    const { home, ledger } = fixture({ checkpoints: { records: 16, seconds: 3600 } });
    const other = new TenantDirectory(home);
    const otherLedgers = new EvidenceLedgers(other, { checkpoints: { records: 16, seconds: 3600 } });
    cleanups.unshift(() => {
      otherLedgers.close();
      other.close();
    });
    const second = otherLedgers.ledger('acme');
    expect(second.origin).toBe(ledger.origin);
    for (let round = 0; round < 10; round++) {
      await Promise.all([
        ...Array.from({ length: 5 }, (_, i) => ledger.append({ type: 'decision', payload: sampleDecision(i) })),
        ...Array.from({ length: 5 }, (_, i) => second.append({ type: 'decision', payload: sampleDecision(i + 5) })),
      ]);
    }
    expect(ledger.size()).toBe(second.size());
    expect((await ledger.verify()).ok).toBe(true);
    expect((await second.verify()).ok).toBe(true);
  });

  it('answers the Evidence screen queries from the indexed fields, newest first, in pages', async () => {
    const { ledger } = fixture({ checkpoints: { records: 1000, seconds: 3600 } });
    await ledger.appendMany(
      Array.from({ length: 120 }, (_, i) => ({ type: 'decision' as const, payload: sampleDecision(i) })),
    );
    await ledger.append({
      type: 'gap',
      payload: { source: 'hook', reason: 'agent crashed', agent: { id: 'agent-1' } },
    });
    const denies = ledger.query({ decisions: ['deny'], limit: 10 });
    expect(denies.records).toHaveLength(10);
    expect(denies.records.every((r) => r.decision === 'deny')).toBe(true);
    expect(denies.records[0]?.seq).toBe(119);
    expect(denies.records[0]?.summary).toMatch(/^deny execute_command terraform apply/);
    const rest = ledger.query({ decisions: ['deny'], limit: 100, before: denies.next ?? 0 });
    expect(rest.records).toHaveLength(20);
    expect(rest.next).toBeNull();
    expect(ledger.query({ session: 's-7' }).records.map((r) => r.seq)).toEqual([107, 57, 7]);
    expect(ledger.query({ agent: 'agent-1', types: ['gap'] }).records.map((r) => r.seq)).toEqual([120]);
    expect(ledger.query({ rule: 'rule.3', limit: 500 }).records).toHaveLength(17);
    const all = ledger.query({ limit: 500 }).records;
    const middle = all.find((r) => r.seq === 60)?.time as string;
    const window = ledger.query({ from: middle, to: middle, limit: 500 }).records;
    expect(window.length).toBeGreaterThanOrEqual(1);
    expect(window.every((r) => r.time === middle)).toBe(true);
    expect(() => ledger.query({ from: 'yesterday' })).toThrow(/not a valid time/);
  });

  it('prunes expired payloads into a signed tombstone that keeps the ledger verifiable', async () => {
    let now = Date.parse('2026-01-01T00:00:00.000Z');
    const { ledger } = fixture({ now: () => new Date(now), checkpoints: { records: 1000, seconds: 3600 } });
    for (let i = 0; i < 10; i++) await ledger.append({ type: 'decision', payload: sampleDecision(i) });
    ledger.checkpoint();
    now += 40 * 86_400_000;
    for (let i = 10; i < 15; i++) await ledger.append({ type: 'decision', payload: sampleDecision(i) });
    await ledger.setRetention({ days: 30, legalHold: true }, 'compliance@acme.example');
    expect(await ledger.prune()).toEqual({ pruned: 0, tombstone: null, reason: 'legal hold' });
    await ledger.setRetention({ days: 30, legalHold: false }, 'compliance@acme.example');
    const result = await ledger.prune();
    expect(result.pruned).toBe(10);
    const tombstone = ledger.record(result.tombstone as number);
    expect(tombstone?.header.type).toBe('tombstone');
    expect(tombstone?.payload).toMatchObject({ from_seq: 0, to_seq: 10, count: 10, retention_days: 30 });
    const pruned = ledger.record(3);
    expect(pruned?.payload).toBeNull();
    expect(pruned?.prunedBy).toBe(result.tombstone);
    expect(ledger.record(10)?.header.type).toBe('checkpoint');
    expect(ledger.record(10)?.payload).not.toBeNull(); // checkpoint payloads are never pruned
    expect(ledger.query({ session: 's-3' }).records.map((r) => r.seq)).toEqual([]);
    expect(ledger.query({ types: ['decision'], limit: 500 }).records.filter((r) => r.pruned)).toHaveLength(10);
    expect(await ledger.prune()).toMatchObject({ pruned: 0 });
    expect(await ledger.verify()).toMatchObject({ ok: true });
  });

  it('detects records, payloads, nodes and checkpoints edited in the database', async () => {
    const { ledger, tenants } = fixture({ checkpoints: { records: 10, seconds: 3600 } });
    for (let i = 0; i < 25; i++) await ledger.append({ type: 'decision', payload: sampleDecision(i) });
    const db = tenants.store('acme');
    // Whoever edits the file directly can drop the append-only triggers first.
    db.exec(
      'DROP TRIGGER ledger_records_prune_only; DROP TRIGGER ledger_records_no_rewrite; DROP TRIGGER ledger_tree_no_update',
    );
    const payload = (db.prepare('SELECT payload FROM ledger_records WHERE seq = 4').get() as { payload: string })
      .payload;
    db.prepare('UPDATE ledger_records SET payload = ? WHERE seq = 4').run(payload.replace('terraform', 'terraforn'));
    expect(await ledger.verify()).toMatchObject({ ok: false, seq: 4, reason: expect.stringMatching(/payload/) });
    db.prepare('UPDATE ledger_records SET payload = ? WHERE seq = 4').run(payload);
    db.prepare('UPDATE ledger_records SET time_ms = time_ms + 1 WHERE seq = 6').run();
    expect(await ledger.verify()).toMatchObject({ ok: false, seq: 6 });
    db.prepare('UPDATE ledger_records SET time_ms = time_ms - 1 WHERE seq = 6').run();
    db.prepare('UPDATE ledger_tree SET hash = ? WHERE node = (SELECT MIN(node) FROM ledger_tree)').run(
      leafHash(Buffer.alloc(32)),
    );
    expect(await ledger.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/Merkle node/) });
  });

  // Issue 8 item 6: the indexed columns the Evidence screen filters by were verified by nothing.
  it('detects an indexed column (decision, agent, session, rules) that disagrees with the hashed payload, in verify and export', async () => {
    const { ledger, tenants, home } = fixture({ checkpoints: { records: 10, seconds: 3600 } });
    for (let i = 0; i < 12; i++) await ledger.append({ type: 'decision', payload: sampleDecision(i) });
    const db = tenants.store('acme');
    expect(await ledger.verify()).toMatchObject({ ok: true });
    const row = db.prepare('SELECT decision FROM ledger_records WHERE seq = 3').get() as { decision: string };
    const edits: [string, RegExp][] = [
      [
        `UPDATE ledger_records SET decision = '${row.decision === 'allow' ? 'deny' : 'allow'}' WHERE seq = 3`,
        /decision/,
      ],
      ["UPDATE ledger_records SET agent = 'someone-else' WHERE seq = 3", /agent/],
      ['UPDATE ledger_records SET session = NULL WHERE seq = 3', /session/],
      ['DELETE FROM ledger_record_rules WHERE seq = 3', /rules/],
    ];
    for (const [edit, column] of edits) {
      db.exec('SAVEPOINT tamper');
      db.exec(edit);
      const verdict = await ledger.verify();
      expect(verdict, edit).toMatchObject({ ok: false, seq: 3, reason: expect.stringMatching(column) });
      await expect(ledger.export({ out: `${home}/bundle-${column.source}` }), edit).rejects.toThrow(column);
      db.exec('ROLLBACK TO tamper; RELEASE tamper');
    }
    expect(await ledger.verify()).toMatchObject({ ok: true });
  });

  it('verification reports progress and can be cancelled', async () => {
    const { ledger } = fixture({ checkpoints: { records: 1000, seconds: 3600 } });
    await ledger.appendMany(
      Array.from({ length: 9000 }, (_, i) => ({ type: 'decision' as const, payload: sampleDecision(i) })),
    );
    const seen: number[] = [];
    const result = await ledger.verify({ onProgress: (p) => seen.push(p.done) });
    expect(result.ok).toBe(true);
    expect(seen.at(-1)).toBe(ledger.size());
    expect(seen.length).toBeGreaterThan(1);
    const controller = new AbortController();
    const cancelled = ledger.verify({ signal: controller.signal, onProgress: () => controller.abort() });
    await expect(cancelled).rejects.toThrow(/abort/i);
  });

  it('keeps recording without a signing key and says plainly why it cannot sign', async () => {
    const { tenants } = fixture();
    const ledger = new Ledger({
      db: tenants.store('acme'),
      tenant: 'acme',
      keys: {
        publicKey: () => null,
        signer: () => {
          throw new Error('Tenant "acme" has no evidence signing key');
        },
      },
      checkpoints: { records: 2, seconds: 3600 },
    });
    cleanups.unshift(() => ledger.close());
    for (let i = 0; i < 5; i++) await ledger.append({ type: 'decision', payload: sampleDecision(i) });
    expect(ledger.latestCheckpoint()).toBeNull();
    expect(ledger.status()).toMatchObject({
      size: 5,
      uncovered: 5,
      signing: { state: 'unavailable', reason: expect.stringMatching(/no evidence signing key/) },
    });
    expect(() => ledger.checkpoint()).toThrow(LedgerSigningError);
  });
});

// Issue 8 item 5: with the triggers dropped, deleting records and the checkpoint that covered
// them left a shorter ledger that verified and exported as a bundle that verified.
describe('evidence ledger: the high-water mark outside the database', () => {
  async function signedLedger() {
    const f = fixture({ checkpoints: { records: 10, seconds: 3600 } });
    for (let i = 0; i < 40; i++) await f.ledger.append({ type: 'decision', payload: sampleDecision(i) });
    f.ledger.checkpoint();
    const witness = path.join(path.dirname(f.tenants.store('acme').name), HIGH_WATER_FILE);
    return { ...f, witness };
  }

  it('keeps every signed checkpoint in an append-only witness file beside the database', async () => {
    const { ledger, witness } = await signedLedger();
    const lines = readWitness(witness);
    expect(lines.map((l) => l.size)).toEqual(ledger.checkpointsBetween(1, ledger.size()).map((cp) => cp.size));
    expect(lines.at(-1)).toMatchObject({ type: 'cavra.checkpoint', tenant: 'acme', origin: ledger.origin });
    expect(await ledger.verify()).toMatchObject({ ok: true, witnessed: lines.length });
  });

  it('refuses to verify or export a ledger cut back behind a signed checkpoint', async () => {
    const { ledger, tenants, home } = await signedLedger();
    const db = tenants.store('acme');
    // Cut right after an early checkpoint record, so what is left is a well-formed, signed ledger.
    const early = ledger.checkpointsBetween(1, ledger.size())[1] as { size: number };
    truncateLedger(db, early.size + 1);
    expect(ledger.size()).toBe(early.size + 1);
    const verdict = await ledger.verify();
    expect(verdict).toMatchObject({ ok: false, reason: expect.stringMatching(/history was cut off/) });
    await expect(ledger.export({ out: path.join(home, 'cut') })).rejects.toThrow(/history was cut off/);
    expect(fs.existsSync(path.join(home, 'cut'))).toBe(false);

    // Appending past the old size does not hide it: the tree at a witnessed size differs.
    for (let i = 0; i < 40; i++) await ledger.append({ type: 'decision', payload: sampleDecision(100 + i) });
    expect(await ledger.verify()).toMatchObject({ ok: false, reason: expect.stringMatching(/history was rewritten/) });
    await expect(ledger.export({ out: path.join(home, 'rewritten') })).rejects.toThrow(/history was rewritten/);
  });

  it('checks an anchor witness file too, and a witness line that was forged fails', async () => {
    const { ledger, witness, home } = await signedLedger();
    const lines = readWitness(witness);
    expect(await ledger.verify({ witness: lines })).toMatchObject({ ok: true, witnessed: 2 * lines.length });
    const forged = { ...(lines.at(-1) as (typeof lines)[number]), root: Buffer.alloc(32).toString('base64') };
    expect(await ledger.verify({ witness: [forged] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/disagrees with the signed note/),
    });
    const replaced = { ...(lines[0] as (typeof lines)[number]), origin: 'cavra.evidence/acme/000000000000' };
    expect(await ledger.verify({ witness: [replaced] })).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/the log was replaced/),
    });
    expect(fs.existsSync(home)).toBe(true);
  });
});
