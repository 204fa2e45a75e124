// One parser for a bundle's record and inclusion lines (issue 8 item 7): the canonical fast
// path and the general path accept and refuse the same lines; a proof into a tree of size 0
// (one of the three earlier parsers took it) is refused everywhere.
import { describe, expect, it } from 'vitest';
import { canonicalize } from './canonical-json';
import { RecordLineError, parseInclusionLine, parseRecordLine, parseTombstoneLine } from './record-line';

const hash = 'A'.repeat(43) + '=';
const header = {
  v: 1,
  seq: 7,
  time: '2026-03-01T00:00:00.000Z',
  type: 'decision',
  prev: 'a'.repeat(64),
  payload_sha256: 'b'.repeat(64),
};

describe('the one record-line parser', () => {
  it('reads a canonical line and the same line re-serialized into the same record', () => {
    const record = { ...header, payload: { z: 1, a: 'x' } };
    const canonical = parseRecordLine(Buffer.from(canonicalize(record)));
    const reordered = parseRecordLine(Buffer.from(JSON.stringify({ payload: { a: 'x', z: 1 }, ...header })));
    expect(canonical.header).toEqual(header);
    expect(reordered.header).toEqual(header);
    expect(reordered.hash.equals(canonical.hash)).toBe(true);
    expect(reordered.payload?.equals(canonical.payload as Buffer)).toBe(true);
  });

  it('refuses a proof into a tree of size 0 on every path, and a hash that is not base64 SHA-256', () => {
    const refused = [
      canonicalize({ path: [], seq: 0, tree_size: 0 }),
      JSON.stringify({ seq: 0, tree_size: 0, path: [] }),
      canonicalize({ path: [hash], seq: 0, tree_size: 0 }),
      canonicalize({ path: ['-'.repeat(43) + '='], seq: 0, tree_size: 2 }),
      JSON.stringify({ seq: 0, tree_size: 2, path: ['_'.repeat(43) + '='] }),
      canonicalize({ path: [], seq: -1, tree_size: 1 }),
    ];
    for (const line of refused) expect(() => parseInclusionLine(line), line).toThrow(RecordLineError);
    const tombstone = (proof: unknown) => canonicalize({ record: { ...header, payload: null }, proof });
    expect(() => parseTombstoneLine(tombstone({ seq: 7, tree_size: 0, path: [] }))).toThrow(/tree_size/);
    expect(parseTombstoneLine(tombstone({ seq: 7, tree_size: 8, path: [hash] })).proof).toEqual({
      seq: 7,
      tree_size: 8,
      path: [hash],
    });
    expect(parseInclusionLine(canonicalize({ path: [hash], seq: 0, tree_size: 2 }))).toEqual({
      seq: 0,
      tree_size: 2,
      path: [hash],
    });
    expect(parseInclusionLine(JSON.stringify({ tree_size: 2, seq: 0, path: [hash] }))).toEqual({
      seq: 0,
      tree_size: 2,
      path: [hash],
    });
  });

  it('refuses unexpected fields, missing payloads and lines that are not JSON, naming the record when it can', () => {
    expect(() => parseRecordLine(Buffer.from(canonicalize({ ...header, payload: 1, extra: true })))).toThrow(
      /unexpected field "extra"/,
    );
    const { payload_sha256: _omitted, ...partial } = header;
    expect(() => parseRecordLine(Buffer.from(JSON.stringify(partial)))).toThrow(RecordLineError);
    let thrown: unknown = null;
    try {
      parseRecordLine(Buffer.from(JSON.stringify({ ...header })));
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toMatchObject({ message: 'payload is missing', seq: 7 });
    expect(() => parseRecordLine(Buffer.from('{"payload":'))).toThrow(/not valid JSON/);
    expect(() =>
      parseTombstoneLine(canonicalize({ record: { ...header, payload: null }, proof: {}, more: 1 })),
    ).toThrow(/unexpected field "more"/);
  });
});
