// Issue 12: the central ledger as an evidence bundle. A tenant's evidence exporters (an auditor
// with the compliance role, a security reviewer) fetch the organisation's ledger from `cavra
// server` with their IdP bearer token; the server's one guard decides; the bundle is the one
// format `cavra evidence verify` checks. Attacks: another tenant's bundle, a machine's
// credential, a person without an exporting role, a tampered bundle.
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUNDLE_STREAM_TYPE, CentralBundleError, fetchCentralBundle } from '../../core/connect';
import { BUNDLE_FILES } from '../../core/evidence';
import { requireKeychain } from '../../core/gate/testing';
import { localEvaluationPrincipal } from '../../core/identity';
import { createCore } from '../../core/service';
import { runCli } from '../../cli/main';
import type { CliIO } from '../../cli/io';
import { call, databaseEnv, idTokenFrom, testEvidenceKey } from '../support/control-plane';
import { configRecord } from '../support/gate-load';
import { startTestIdp } from '../support/oidc-idp';
import type { TestIdp } from '../support/oidc-idp';
import { createTestDatabase, testCluster } from '../support/postgres';
import type { TestDatabase } from '../support/postgres';
import { tempHome } from '../support/temp-home';
import { CENTRAL_BUNDLE_PATH, LEDGER_BATCH_PATH, databaseConfig, startControlPlane } from '../../core/server';
import type { ControlPlane } from '../../core/server';
import { issueSharedCredential } from '../support/machine-credentials';

const cluster = testCluster();
const users = {
  alice: { name: 'Alice Reviewer', email: 'alice@acme.example', groups: ['secops'] },
  dave: { name: 'Dave Auditor', email: 'dave@acme.example', groups: ['auditors'] },
  erin: { name: 'Erin Operator', email: 'erin@acme.example', groups: ['platform-ops'] },
};

async function cavra(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    readStdin: async () => '',
    stdout: (text) => (stdout += text),
    stderr: (text) => (stderr += text),
    env: { PATH: process.env.PATH },
    cwd: process.cwd(),
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

describe.skipIf(cluster === null)('the central ledger as an evidence bundle', () => {
  let idp: TestIdp;
  let database: TestDatabase;
  let home: { home: string; cleanup: () => void };
  const out = tempHome('cavra-central-bundles-');
  let plane: ControlPlane;
  const machines: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let shipped = 0;

  beforeAll(async () => {
    requireKeychain();
    idp = await startTestIdp(users);
    database = await createTestDatabase(cluster!);
    home = tempHome('cavra-central-bundle-');
    const core = createCore({ home: home.home, shell: 'test', log: () => undefined });
    // acme and globex trust the same IdP; only acme maps the auditors and operators.
    for (const [id, mappings] of [
      [
        'acme',
        [
          { group: 'secops', roles: ['security_reviewer'] },
          { group: 'auditors', roles: ['compliance'] },
          { group: 'platform-ops', roles: ['operator'] },
        ],
      ],
      ['globex', [{ group: 'secops', roles: ['security_reviewer'] }]],
    ] as const) {
      expect(
        (
          await core.invoke(localEvaluationPrincipal, {
            op: 'tenants.create',
            tenant: null,
            input: { id, displayName: id },
          })
        ).ok,
      ).toBe(true);
      const updated = await core.invoke(localEvaluationPrincipal, {
        op: 'tenants.profile.update',
        tenant: id,
        input: {
          sso: { issuer: idp.issuer, client_id: idp.clientId, scopes: ['profile', 'email', 'groups'] },
          role_mappings: mappings,
        },
      });
      expect(updated.ok, JSON.stringify(updated)).toBe(true);
      // Machines are enrolled in the shared database, where every replica verifies them.
      machines[id] = (await issueSharedCredential(database, id, `laptop-${id}`, { uid: 1000, name: 'dev' })).token;
    }
    await core.close();
    plane = await startControlPlane({
      signingKey: testEvidenceKey,
      home: home.home,
      database: databaseConfig(databaseEnv(database)),
      tls: 'insecure-loopback',
      log: () => undefined,
    });
    for (const user of Object.keys(users)) tokens[user] = await idTokenFrom(idp, user);
  }, 120_000);

  afterAll(async () => {
    await plane?.close();
    await idp?.close();
    await database?.drop();
    home?.cleanup();
    out.cleanup();
  });

  /** A gate of `tenant` ships `count` records to the central ledger. */
  async function ship(tenant: string, count: number): Promise<void> {
    const records = Array.from({ length: count }, (_, i) => ({
      originSeq: shipped + i,
      ...configRecord(tenant === 'acme' ? 1 : 2, shipped + i),
    }));
    shipped += count;
    const answer = await call(`${plane.url}${LEDGER_BATCH_PATH}`, {
      headers: { authorization: `Bearer ${machines[tenant]}` },
      body: { records },
    });
    expect(answer.status, answer.text).toBe(200);
  }

  const ask = (token: string, tenant: string, body: unknown = {}) =>
    call(`${plane.url}${CENTRAL_BUNDLE_PATH}`, {
      headers: { authorization: `Bearer ${token}`, 'cavra-tenant': tenant },
      body,
    });

  const fetchAs = (user: string, name: string, range?: { from?: number | string; to?: number | string }) =>
    fetchCentralBundle({
      connection: { server: plane.url, ca: null },
      idToken: tokens[user] as string,
      tenant: 'acme',
      out: path.join(out.home, name),
      range,
    });

  const recordsOf = (dir: string) =>
    fs
      .readFileSync(path.join(dir, 'records.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { seq: number; type: string; payload: { by?: string; after?: number } });

  it('an auditor fetches the tenant’s central ledger; cavra evidence verify accepts it; it holds only that tenant’s records', async () => {
    await ship('acme', 12);
    await ship('globex', 5);
    const { dir, verification } = await fetchAs('dave', 'first');
    expect(verification.ok).toBe(true);
    expect(verification.tenant).toBe('acme');
    const records = recordsOf(dir);
    expect(records.map((record) => record.seq)).toEqual(Array.from({ length: 12 }, (_, i) => i));
    expect(records.every((record) => record.payload.by === 'gate-1')).toBe(true);

    const verified = await cavra(['evidence', 'verify', dir, '--json']);
    expect(verified.code, verified.stderr).toBe(0);
    const report = JSON.parse(verified.stdout) as { ok: boolean; checked: { records: number; checkpoints: number } };
    expect(report.ok).toBe(true);
    expect(report.checked.records).toBe(12);
    expect(report.checked.checkpoints).toBe(1);

    // A security reviewer may export too; after more records the bundle carries both signed
    // checkpoints (the first one is a record inside it) and the consistency proof between them.
    await ship('acme', 3);
    const second = await fetchAs('alice', 'second');
    const again = await cavra(['evidence', 'verify', second.dir, '--json']);
    expect(again.code, again.stderr).toBe(0);
    const secondReport = JSON.parse(again.stdout) as { checked: { records: number; checkpoints: number } };
    // 12 + the first checkpoint record + 3.
    expect(secondReport.checked.records).toBe(16);
    expect(secondReport.checked.checkpoints).toBe(2);
    expect(recordsOf(second.dir)[12]?.type).toBe('checkpoint');
    // Both exports were signed by one key, the one this tenant's bundles name.
    expect(second.verification.key?.keyId).toBe(verification.key?.keyId);
    expect(second.verification.origin).toBe(verification.origin);

    // A range by sequence number.
    const ranged = await fetchAs('dave', 'ranged', { from: 3, to: 5 });
    expect(recordsOf(ranged.dir).map((record) => record.seq)).toEqual([3, 4, 5]);
  });

  it('refuses another tenant’s bundle, a machine’s credential and a person whose roles may not export', async () => {
    // Dave is an auditor of acme only: asking as globex, his IdP groups map to nothing there.
    const otherTenant = await ask(tokens.dave as string, 'globex');
    expect(otherTenant.status).toBe(403);
    // Alice is a reviewer in both: asking in acme's name for globex's records is not a thing
    // the route takes (the tenant is the one the bearer authenticated for).
    const named = await ask(tokens.alice as string, 'acme', { tenant: 'globex' });
    expect(named.status).toBe(400);
    expect(named.text).not.toContain('gate-2');
    // An enrolled gate never reads the organisation's ledger.
    const machine = await call(`${plane.url}${CENTRAL_BUNDLE_PATH}`, {
      headers: { authorization: `Bearer ${machines.acme}` },
      body: {},
    });
    expect(machine.status).toBe(403);
    expect(machine.text).not.toContain('records.jsonl');
    // An operator is a member of acme but not among the roles of evidence.export: the guard says no.
    const operator = await ask(tokens.erin as string, 'acme');
    expect(operator.status).toBe(403);
    expect((operator.body as { error: { message: string } }).error.message).toMatch(/compliance|security_reviewer/);
    // No token at all.
    const anonymous = await call(`${plane.url}${CENTRAL_BUNDLE_PATH}`, {
      headers: { 'cavra-tenant': 'acme' },
      body: {},
    });
    expect(anonymous.status).toBe(401);
    // The client says so plainly and writes nothing.
    await expect(
      fetchCentralBundle({
        connection: { server: plane.url, ca: null },
        idToken: tokens.erin as string,
        tenant: 'acme',
        out: path.join(out.home, 'refused'),
      }),
    ).rejects.toThrow(/refused \(HTTP 403 forbidden\)/);
    expect(fs.existsSync(path.join(out.home, 'refused'))).toBe(false);
  });

  it('a tampered bundle fails cavra evidence verify at the record that was changed', async () => {
    const { dir } = await fetchAs('dave', 'tampered');
    const file = path.join(dir, 'records.jsonl');
    const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
    const edited = JSON.parse(lines[7] as string) as { payload: { after: number } };
    edited.payload.after = 999;
    lines[7] = JSON.stringify(edited);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    const verified = await cavra(['evidence', 'verify', dir, '--json']);
    expect(verified.code).toBe(2);
    const report = JSON.parse(verified.stdout) as {
      ok: boolean;
      failure: { file: string; seq: number; reason: string };
    };
    expect(report.ok).toBe(false);
    expect(report.failure).toMatchObject({ file: 'records.jsonl', seq: 7 });
  });

  /** A stand-in control plane that answers every request with `answer`; the client's URL to it. */
  async function impostor(
    answer: (res: http.ServerResponse) => void,
    run: (server: string) => Promise<void>,
  ): Promise<void> {
    const server = http.createServer((_req, res) => answer(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      await run(`http://127.0.0.1:${(server.address() as { port: number }).port}`);
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** The files of a genuine bundle, and the stream that carries them (a header line, then their bytes). */
  function streamOf(files: { path: string; content: Buffer }[], tenant = 'acme'): Buffer {
    const header = { tenant, files: files.map((file) => ({ path: file.path, bytes: file.content.length })) };
    return Buffer.concat([Buffer.from(`${JSON.stringify(header)}\n`), ...files.map((file) => file.content)]);
  }

  const fetchFrom = (server: string, name: string) =>
    fetchCentralBundle({
      connection: { server, ca: null },
      idToken: tokens.dave as string,
      tenant: 'acme',
      out: path.join(out.home, name),
    });

  const nothingWritten = (name: string) => {
    expect(fs.existsSync(path.join(out.home, name))).toBe(false);
    expect(fs.readdirSync(out.home).some((entry) => entry.startsWith(`.${name}`))).toBe(false);
  };

  it('a server that answers with a bundle that does not verify, a cut stream, or a stream naming other files gets nothing written', async () => {
    const { dir } = await fetchAs('dave', 'genuine');
    const files = Object.values(BUNDLE_FILES).map((name) => ({
      path: name as string,
      content: fs.readFileSync(path.join(dir, name)),
    }));
    const streamed = (body: Buffer) => (res: http.ServerResponse) => {
      res.writeHead(200, { 'content-type': BUNDLE_STREAM_TYPE });
      res.end(body);
    };

    // Control: the genuine files, streamed by the stand-in a byte at a time, are accepted.
    await impostor(
      (res) => {
        res.writeHead(200, { 'content-type': BUNDLE_STREAM_TYPE });
        const body = streamOf(files);
        let at = 0;
        const next = () => (at < body.length ? res.write(body.subarray(at, (at += 4096)), next) : res.end());
        next();
      },
      async (server) => {
        const { verification } = await fetchFrom(server, 'relayed');
        expect(verification.ok).toBe(true);
      },
    );

    // One record dropped from the middle: the chain and the proofs no longer agree.
    const dropped = files.map((file) =>
      file.path === 'records.jsonl'
        ? {
            ...file,
            content: Buffer.from(
              file.content
                .toString('utf8')
                .split('\n')
                .filter((_, i) => i !== 4)
                .join('\n'),
            ),
          }
        : file,
    );
    await impostor(streamed(streamOf(dropped)), async (server) => {
      await expect(fetchFrom(server, 'from-liar')).rejects.toThrow(/does not verify/);
      nothingWritten('from-liar');
    });

    // The stream stops in the middle of a file; or carries bytes beyond the last file.
    const whole = streamOf(files);
    await impostor(streamed(whole.subarray(0, whole.length - 100)), async (server) => {
      await expect(fetchFrom(server, 'cut-short')).rejects.toThrow(/ended early|broke off/);
      nothingWritten('cut-short');
    });
    await impostor(streamed(Buffer.concat([whole, Buffer.from('{"extra":true}\n')])), async (server) => {
      await expect(fetchFrom(server, 'too-long')).rejects.toThrow(/more than its header says/);
      nothingWritten('too-long');
    });

    // A header naming a file outside the bundle, another tenant, or the old JSON answer.
    const escaping = files.map((file, i) => (i === 0 ? { ...file, path: '../escaped.json' } : file));
    await impostor(streamed(streamOf(escaping)), async (server) => {
      await expect(fetchFrom(server, 'escaping')).rejects.toThrow(/something other than a bundle/);
      nothingWritten('escaping');
      expect(fs.existsSync(path.join(out.home, 'escaped.json'))).toBe(false);
    });
    await impostor(streamed(streamOf(files, 'globex')), async (server) => {
      await expect(fetchFrom(server, 'other-tenant')).rejects.toThrow(/globex/);
      nothingWritten('other-tenant');
    });
    await impostor(
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ ok: true, value: { tenant: 'acme', files: [] } }));
      },
      async (server) => {
        await expect(fetchFrom(server, 'json')).rejects.toThrow(CentralBundleError);
        nothingWritten('json');
      },
    );
  });

  it('streams a central ledger larger than any one answer the client holds in memory (over 16 MiB), and it verifies', async () => {
    // globex, so acme's counts above stay as they are: 72 records of about 240 KiB each.
    const filler = 'x'.repeat(240 * 1024);
    for (let batch = 0; batch < 8; batch++) {
      const records = Array.from({ length: 9 }, (_, i) => ({
        originSeq: 10_000 + batch * 9 + i,
        type: 'config_change',
        payload: { change: 'bulk', by: 'gate-2', before: null, after: filler },
      }));
      const answer = await call(`${plane.url}${LEDGER_BATCH_PATH}`, {
        headers: { authorization: `Bearer ${machines.globex}` },
        body: { records },
      });
      expect(answer.status, answer.text).toBe(200);
    }
    const { dir, verification } = await fetchCentralBundle({
      connection: { server: plane.url, ca: null },
      idToken: tokens.alice as string,
      tenant: 'globex',
      out: path.join(out.home, 'large'),
    });
    expect(verification.ok).toBe(true);
    expect(fs.statSync(path.join(dir, 'records.jsonl')).size).toBeGreaterThan(16 * 1024 * 1024);
    const verified = await cavra(['evidence', 'verify', dir, '--json']);
    expect(verified.code, verified.stderr).toBe(0);
  }, 180_000);
});
