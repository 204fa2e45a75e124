import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyBundle } from './bundle-verify';
import type { BundleVerification } from './bundle-verify';
import { canonicalize } from './canonical-json';
import { signCheckpoint } from './checkpoint-note';
import { GENESIS_PREV, payloadDigest, recordHash } from './record';
import type { RecordHeader } from './record';
import { generateSigningKey, signerFromPrivateKey } from './signing';
import { ledgerFixture, requireKeychain, sampleDecision } from './testing';

const RECORDS = 10_000;
let fixture: ReturnType<typeof ledgerFixture>;
let forger: ReturnType<typeof ledgerFixture>;
let scratch: string;
let original: string;
let forged: string;
let trustedKey: string;

function appendAll(ledger: ReturnType<typeof ledgerFixture>['ledger'], payloads: unknown[]) {
  return ledger.appendMany(payloads.map((payload) => ({ type: 'decision' as const, payload })));
}

beforeAll(async () => {
  requireKeychain();
  scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-bundles-'));
  const payloads = Array.from({ length: RECORDS }, (_, i) => sampleDecision(i));
  fixture = ledgerFixture();
  await appendAll(fixture.ledger, payloads);
  original = path.join(scratch, 'original');
  await fixture.ledger.export({ out: original });
  trustedKey = fixture.ledger.verifierKey() as string;
  // The same evidence, re-built and signed end to end under somebody else's key.
  forger = ledgerFixture();
  await appendAll(forger.ledger, payloads);
  forged = path.join(scratch, 'forged');
  await forger.ledger.export({ out: forged });
}, 120_000);

afterAll(() => {
  fixture?.close();
  forger?.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

let copies = 0;
function copy(from = original): string {
  const dir = path.join(scratch, `copy-${++copies}`);
  fs.cpSync(from, dir, { recursive: true });
  return dir;
}

function lines(dir: string, file: string): string[] {
  return fs.readFileSync(path.join(dir, file), 'utf8').split('\n').slice(0, -1);
}

function writeLines(dir: string, file: string, content: string[]): void {
  fs.writeFileSync(path.join(dir, file), `${content.join('\n')}\n`);
}

/** Index of the records.jsonl line holding record `seq` (the bundle starts at seq 0). */
const lineOf = (seq: number) => seq;

/** Changes the first character of the first proof hash to a different one (never a no-op). */
function alterFirstProofHash(line: string): string {
  return line.replace(/"path":\["(.)/, (_match, first: string) => `"path":["${first === 'A' ? 'B' : 'A'}`);
}

function failed(result: BundleVerification) {
  expect(result.ok, 'the tampered bundle must not verify').toBe(false);
  return result.failure;
}

describe('evidence bundle', () => {
  it('verifies untampered, with and without a pinned key, recomputing every checkpoint root', async () => {
    const result = await verifyBundle(original, { trustedKey });
    expect(result.failure).toBeNull();
    expect(result.ok).toBe(true);
    expect(result.checked.records).toBeGreaterThanOrEqual(RECORDS);
    expect(result.checked.inclusionProofs).toBe(result.checked.records);
    expect(result.checked.checkpoints).toBeGreaterThan(30);
    expect(result.checked.consistencyProofs).toBe(result.checked.checkpoints - 1);
    expect(result.checked.recomputedRoots).toBe(result.checked.checkpoints);
    expect(result.key?.pinned).toBe(true);
    expect((await verifyBundle(original)).key?.pinned).toBe(false);
  });

  it('fails on one edited payload byte, naming the record', async () => {
    const dir = copy();
    const content = lines(dir, 'records.jsonl');
    content[lineOf(5000)] = (content[lineOf(5000)] as string).replace('terraform apply', 'terraform apbly');
    writeLines(dir, 'records.jsonl', content);
    expect(failed(await verifyBundle(dir, { trustedKey }))).toMatchObject({
      file: 'records.jsonl',
      seq: 5000,
      line: 5001,
      reason: expect.stringMatching(/payload does not match/),
    });
  });

  it('fails on a deleted record', async () => {
    const dir = copy();
    const content = lines(dir, 'records.jsonl');
    content.splice(lineOf(3000), 1);
    writeLines(dir, 'records.jsonl', content);
    expect(failed(await verifyBundle(dir, { trustedKey }))).toMatchObject({
      file: 'records.jsonl',
      reason: expect.stringMatching(/expected record 3000 here but found record 3001/),
    });
  });

  it('fails on an inserted record, even a well-formed one that links to its predecessor', async () => {
    const dir = copy();
    const content = lines(dir, 'records.jsonl');
    // A forger's record: right position, right link to record 6000, right payload digest.
    const { payload: _p, ...previous } = JSON.parse(content[lineOf(6000)] as string) as RecordHeader & {
      payload: unknown;
    };
    const payload = sampleDecision(999_999);
    const header: RecordHeader = {
      v: 1,
      seq: 6001,
      time: previous.time,
      type: 'decision',
      prev: recordHash(previous).toString('hex'),
      payload_sha256: payloadDigest(canonicalize(payload)).toString('hex'),
    };
    content.splice(lineOf(6001), 0, canonicalize({ ...header, payload }));
    writeLines(dir, 'records.jsonl', content);
    expect(failed(await verifyBundle(dir, { trustedKey }))).toMatchObject({
      file: 'inclusion-proofs.jsonl',
      seq: 6001,
      reason: expect.stringMatching(/not at position 6001 of the signed tree/),
    });
    const duplicated = copy();
    const again = lines(duplicated, 'records.jsonl');
    again.splice(lineOf(6001), 0, again[lineOf(4000)] as string);
    writeLines(duplicated, 'records.jsonl', again);
    expect(failed(await verifyBundle(duplicated, { trustedKey }))).toMatchObject({
      file: 'records.jsonl',
      line: 6002,
      reason: expect.stringMatching(/expected record 6001 here but found record 4000/),
    });
  });

  it('fails on two swapped records', async () => {
    const dir = copy();
    const content = lines(dir, 'records.jsonl');
    [content[lineOf(7000)], content[lineOf(7001)]] = [content[lineOf(7001)] as string, content[lineOf(7000)] as string];
    writeLines(dir, 'records.jsonl', content);
    expect(failed(await verifyBundle(dir, { trustedKey }))).toMatchObject({
      file: 'records.jsonl',
      line: 7001,
      reason: expect.stringMatching(/expected record 7000 here but found record 7001/),
    });
  });

  it('fails when the tail after the last checkpoint record is cut off', async () => {
    const dir = copy();
    const content = lines(dir, 'records.jsonl');
    const lastCheckpointRecord = content.findLastIndex((line) => line.includes('"type":"checkpoint"'));
    const kept = content.slice(0, lastCheckpointRecord + 1);
    writeLines(dir, 'records.jsonl', kept);
    writeLines(dir, 'inclusion-proofs.jsonl', lines(dir, 'inclusion-proofs.jsonl').slice(0, kept.length));
    const failure = failed(await verifyBundle(dir, { trustedKey }));
    expect(failure).toMatchObject({ file: 'records.jsonl', reason: expect.stringMatching(/tail was cut off/) });
    expect(failure?.reason).toContain(`end at ${lastCheckpointRecord}`);
  });

  it('fails on a replaced checkpoint signature', async () => {
    const dir = copy();
    const content = lines(dir, 'checkpoints.jsonl');
    const entry = JSON.parse(content[3] as string) as { size: number; note: string };
    // Keep the key id, replace the signature bytes.
    entry.note = entry.note.replace(/(\u2014 \S+ )(\S+)/u, (_m, head: string, sig: string) => {
      const raw = Buffer.from(sig, 'base64');
      crypto.randomFillSync(raw, 4);
      return head + raw.toString('base64');
    });
    content[3] = canonicalize(entry);
    writeLines(dir, 'checkpoints.jsonl', content);
    expect(failed(await verifyBundle(dir, { trustedKey }))).toMatchObject({
      file: 'checkpoints.jsonl',
      line: 4,
      reason: expect.stringMatching(new RegExp(`checkpoint at size ${entry.size}: .*does not verify`)),
    });
    // A note signed by another key carries no tenant signature at all.
    const other = copy();
    const otherContent = lines(other, 'checkpoints.jsonl');
    const signer = signerFromPrivateKey(generateSigningKey().privateKey);
    const [origin, size, root] = entry.note.split('\n') as [string, string, string];
    otherContent[3] = canonicalize({
      size: entry.size,
      note: signCheckpoint({ origin, size: Number(size), root: Buffer.from(root, 'base64') }, signer, 1).note,
    });
    writeLines(other, 'checkpoints.jsonl', otherContent);
    expect(failed(await verifyBundle(other, { trustedKey }))).toMatchObject({
      file: 'checkpoints.jsonl',
      reason: expect.stringMatching(/no signature by the tenant key/),
    });
  });

  it('a bundle re-signed end to end with another key verifies only against its own key', async () => {
    expect((await verifyBundle(forged)).ok).toBe(true);
    expect(failed(await verifyBundle(forged, { trustedKey }))).toMatchObject({
      file: 'tenant-key.pub',
      reason: expect.stringMatching(/signed by key [0-9a-f]{64}, not by the trusted key/),
    });
    // Swapping only the key file and the statement breaks every checkpoint signature.
    const dir = copy();
    fs.copyFileSync(path.join(forged, 'tenant-key.pub'), path.join(dir, 'tenant-key.pub'));
    fs.copyFileSync(path.join(forged, 'statement.dsse.json'), path.join(dir, 'statement.dsse.json'));
    expect(failed(await verifyBundle(dir))).toMatchObject({ file: 'tenant-key.pub' });
  });

  it('fails on an edited manifest', async () => {
    const dir = copy();
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8')) as {
      range: { to_seq: number; count: number };
    };
    manifest.range.to_seq -= 10;
    manifest.range.count -= 10;
    fs.writeFileSync(path.join(dir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
    expect(failed(await verifyBundle(dir, { trustedKey }))).toMatchObject({
      file: 'manifest.json',
      reason: expect.stringMatching(/not the manifest the statement signed/),
    });
  });

  it('fails on a dropped file, naming it', async () => {
    for (const name of ['inclusion-proofs.jsonl', 'checkpoints.jsonl', 'statement.dsse.json', 'tenant-key.pub']) {
      const dir = copy();
      fs.rmSync(path.join(dir, name));
      expect(failed(await verifyBundle(dir, { trustedKey })), name).toMatchObject({
        file: name,
        reason: expect.stringMatching(/missing/),
      });
    }
  });

  it('fails when a consistency proof or an inclusion proof is altered', async () => {
    const dir = copy();
    const content = lines(dir, 'consistency-proofs.jsonl');
    content[2] = alterFirstProofHash(content[2] as string);
    writeLines(dir, 'consistency-proofs.jsonl', content);
    expect(failed(await verifyBundle(dir, { trustedKey }))).toMatchObject({
      file: 'consistency-proofs.jsonl',
      line: 3,
    });
    const proofs = copy();
    const proofLines = lines(proofs, 'inclusion-proofs.jsonl');
    proofLines[8000] = alterFirstProofHash(proofLines[8000] as string);
    writeLines(proofs, 'inclusion-proofs.jsonl', proofLines);
    expect(failed(await verifyBundle(proofs, { trustedKey }))).toMatchObject({
      file: 'inclusion-proofs.jsonl',
      seq: 8000,
    });
  });

  it('reads lines another tool re-serialized: the records still check out, only the file digest differs', async () => {
    const dir = copy();
    const content = lines(dir, 'records.jsonl').map((line) => {
      const { payload, ...rest } = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify({ ...rest, payload }, null, 0).replace('{', '{ ');
    });
    writeLines(dir, 'records.jsonl', content);
    expect(failed(await verifyBundle(dir, { trustedKey }))).toMatchObject({
      file: 'records.jsonl',
      reason: expect.stringMatching(/does not match the SHA-256 the manifest records/),
    });
  });

  it('reports progress and can be cancelled', async () => {
    const seen: number[] = [];
    await verifyBundle(original, { onProgress: (p) => seen.push(p.done) });
    expect(seen.length).toBeGreaterThan(1);
    expect(seen.at(-1)).toBeGreaterThanOrEqual(RECORDS);
    const controller = new AbortController();
    await expect(
      verifyBundle(original, { signal: controller.signal, onProgress: () => controller.abort() }),
    ).rejects.toThrow(/abort/i);
  });
});

describe('evidence bundle: bad input', () => {
  it('a missing directory', async () => {
    const result = await verifyBundle(path.join(scratch, 'nope'));
    expect(result.failure).toMatchObject({ kind: 'input', reason: expect.stringMatching(/does not exist/) });
  });

  it('a directory that is not a bundle', async () => {
    const dir = fs.mkdtempSync(path.join(scratch, 'empty-'));
    expect((await verifyBundle(dir)).failure).toMatchObject({ kind: 'input', file: 'manifest.json' });
  });

  it('a truncated JSON line, at the end and in the middle', async () => {
    const dir = copy();
    const file = path.join(dir, 'records.jsonl');
    fs.truncateSync(file, fs.statSync(file).size - 40);
    expect(failed(await verifyBundle(dir, { trustedKey }))).toMatchObject({
      file: 'records.jsonl',
      reason: expect.stringMatching(/line \d+ is cut off/),
    });
    const middle = copy();
    const content = lines(middle, 'records.jsonl');
    content[lineOf(1234)] = (content[lineOf(1234)] as string).slice(0, 300);
    writeLines(middle, 'records.jsonl', content);
    expect(failed(await verifyBundle(middle, { trustedKey }))).toMatchObject({
      file: 'records.jsonl',
      line: 1235,
      reason: expect.stringMatching(/not valid JSON/),
    });
  });

  it('a bundle from a newer format version', async () => {
    const dir = copy();
    const file = path.join(dir, 'manifest.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"format_version": 1', '"format_version": 2'));
    expect((await verifyBundle(dir)).failure).toMatchObject({
      kind: 'input',
      reason: expect.stringMatching(/format version 2, newer than this verifier understands \(1\)/),
    });
  });

  it('a symlinked file that points outside the bundle', async () => {
    const dir = copy();
    const outside = path.join(scratch, 'outside-records.jsonl');
    fs.copyFileSync(path.join(dir, 'records.jsonl'), outside);
    fs.rmSync(path.join(dir, 'records.jsonl'));
    fs.symlinkSync(outside, path.join(dir, 'records.jsonl'));
    expect((await verifyBundle(dir)).failure).toMatchObject({
      kind: 'input',
      file: 'records.jsonl',
      reason: expect.stringMatching(/symlink that points outside the bundle/),
    });
    // A symlink that stays inside the bundle is just another name for a bundle file.
    const inside = copy();
    fs.renameSync(path.join(inside, 'records.jsonl'), path.join(inside, 'records.data'));
    fs.symlinkSync('records.data', path.join(inside, 'records.jsonl'));
    const result = await verifyBundle(inside, { trustedKey });
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual(['records.data is not part of the bundle and was not verified']);
  });
});

describe('evidence bundle: ranges and retention', () => {
  it('exports a middle range by sequence number and by time, and it verifies on its own', async () => {
    const dir = path.join(scratch, 'middle');
    const result = await fixture.ledger.export({ out: dir, from: 2500, to: 2999 });
    expect(result).toMatchObject({ fromSeq: 2500, toSeq: 2999, count: 500 });
    const verified = await verifyBundle(dir, { trustedKey });
    expect(verified.failure).toBeNull();
    expect(verified.checked.records).toBe(500);
    expect(verified.checked.recomputedRoots).toBeGreaterThan(0);
    const from = fixture.ledger.record(100)?.header.time as string;
    const to = fixture.ledger.record(200)?.header.time as string;
    const byTime = await fixture.ledger.export({ out: path.join(scratch, 'by-time'), from, to });
    expect(byTime.fromSeq).toBeLessThanOrEqual(100);
    expect(byTime.toSeq).toBeGreaterThanOrEqual(200);
    expect((await verifyBundle(path.join(scratch, 'by-time'), { trustedKey })).ok).toBe(true);
    await expect(fixture.ledger.export({ out: path.join(scratch, 'empty'), from: 9_000_000 })).rejects.toThrow(
      /no records/,
    );
    await expect(fixture.ledger.export({ out: dir })).rejects.toThrow(/not an empty directory/);
  });

  it('pruned payloads travel with their signed tombstone and still verify', async () => {
    let now = Date.parse('2026-03-01T00:00:00.000Z');
    const f = ledgerFixture({ now: () => new Date(now), checkpoints: { records: 16, seconds: 3600 } });
    try {
      await appendAll(
        f.ledger,
        Array.from({ length: 100 }, (_, i) => sampleDecision(i)),
      );
      now += 100 * 86_400_000;
      await appendAll(
        f.ledger,
        Array.from({ length: 20 }, (_, i) => sampleDecision(100 + i)),
      );
      await f.ledger.setRetention({ days: 90, legalHold: false }, 'compliance@acme.example');
      const pruned = await f.ledger.prune();
      expect(pruned.pruned).toBe(100);
      const dir = path.join(scratch, 'pruned');
      await f.ledger.export({ out: dir, from: 10, to: 60 });
      const result = await verifyBundle(dir);
      expect(result.failure).toBeNull();
      expect(result.checked.tombstones).toBe(1);
      const line = lines(dir, 'records.jsonl')[0] as string;
      expect(JSON.parse(line)).toMatchObject({ payload: null, pruned_by: pruned.tombstone });
      // Claiming a pruned payload for a record no tombstone covers is caught.
      const forgedDir = copy(dir);
      const content = lines(forgedDir, 'records.jsonl');
      content[0] = (content[0] as string).replace(`"pruned_by":${pruned.tombstone}`, '"pruned_by":5');
      writeLines(forgedDir, 'records.jsonl', content);
      expect(failed(await verifyBundle(forgedDir))).toMatchObject({ file: 'records.jsonl', seq: 10 });
    } finally {
      f.close();
    }
  });

  it('the first record links to nothing', () => {
    expect(fixture.ledger.record(0)?.header.prev).toBe(GENESIS_PREV);
  });
});
