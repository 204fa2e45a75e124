import fs from 'node:fs';
import path from 'node:path';
import { verifyBundle } from '../evidence';
import type { BundleVerification } from '../evidence';
import { ControlPlaneClient } from './client';
import type { Connection } from './connection';
import type http from 'node:http';
import {
  BUNDLE_STREAM_TYPE,
  CENTRAL_BUNDLE_PATH,
  MAX_BUNDLE_STREAM_HEADER_BYTES,
  TENANT_HEADER,
  bundleStreamHeaderSchema,
} from './wire';
import type { BundleStreamHeader, CentralBundleRequest } from './wire';

/** An export of a large ledger takes a while on the server. */
const BUNDLE_CALL_MS = 120_000;

export class CentralBundleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CentralBundleError';
  }
}

/**
 * Fetches the tenant's central ledger from its control plane as an evidence bundle, as the
 * person whose ID token is `idToken` (the server's guard decides whether they may export), and
 * writes it to `out` only once it verifies here (FORMAT.md §Verification, the one verifier):
 * a bundle that does not verify, or is another tenant's, is never put where an auditor would
 * take it for the organisation's evidence. Written to a sibling staging directory and renamed
 * into place, as a local export is.
 */
export async function fetchCentralBundle(input: {
  /** Where the tenant's control plane is, and the CA it is pinned to. */
  connection: Pick<Connection, 'server' | 'ca'>;
  idToken: string;
  tenant: string;
  out: string;
  range?: CentralBundleRequest;
}): Promise<{ dir: string; verification: BundleVerification }> {
  const { connection, tenant } = input;
  const out = path.resolve(input.out);
  if (fs.existsSync(out) && (!fs.statSync(out).isDirectory() || fs.readdirSync(out).length > 0)) {
    throw new CentralBundleError(`${out} already exists and is not an empty directory`);
  }
  const client = new ControlPlaneClient(connection.server, { ca: connection.ca, timeoutMs: BUNDLE_CALL_MS });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(out), `.${path.basename(out)}.partial-`));
  try {
    await client.stream(
      'POST',
      CENTRAL_BUNDLE_PATH,
      input.range ?? {},
      (response) => receiveBundle(response, staging, tenant, connection.server),
      { bearer: input.idToken, headers: { [TENANT_HEADER]: tenant } },
    );
    const verification = await verifyBundle(staging);
    if (!verification.ok) {
      const failure = verification.failure;
      throw new CentralBundleError(
        `The central ledger's bundle from ${connection.server} does not verify (${failure?.file ?? 'bundle'}${failure?.seq !== undefined ? `, record ${failure.seq}` : ''}: ${failure?.reason ?? 'unknown'}); nothing was written`,
      );
    }
    if (verification.tenant !== tenant) {
      throw new CentralBundleError(`The bundle is tenant "${verification.tenant}"'s, not "${tenant}"'s`);
    }
    if (fs.existsSync(out)) fs.rmdirSync(out);
    fs.renameSync(staging, out);
    return { dir: out, verification: { ...verification, dir: out } };
  } catch (error) {
    fs.rmSync(staging, { recursive: true, force: true });
    throw error;
  }
}

/**
 * Writes a streamed bundle into `dir` as it arrives (FORMAT.md's files, nothing else): the
 * header line first, checked against the bundle's file names and sizes, then each file's bytes
 * in the header's order; a stream that ends early or carries more than the header says is
 * refused. Nothing here is trusted beyond where it goes: the verifier judges the content.
 */
async function receiveBundle(
  response: http.IncomingMessage,
  dir: string,
  tenant: string,
  server: string,
): Promise<void> {
  const type = String(response.headers['content-type'] ?? '')
    .split(';')[0]
    ?.trim();
  if (type !== BUNDLE_STREAM_TYPE) {
    throw new CentralBundleError(`The control plane at ${server} answered with something other than a bundle`);
  }
  let header: BundleStreamHeader | null = null;
  let pending = Buffer.alloc(0);
  let index = 0;
  let left = 0;
  let fd: number | null = null;
  const open = () => {
    // Empty files are complete as soon as they are opened.
    while (header && index < header.files.length) {
      const file = header.files[index] as BundleStreamHeader['files'][number];
      fd = fs.openSync(path.join(dir, file.path), 'wx', 0o644);
      left = file.bytes;
      if (left > 0) return;
      fs.closeSync(fd);
      fd = null;
      index += 1;
    }
  };
  try {
    for await (const chunk of response as AsyncIterable<Buffer>) {
      let data = chunk;
      if (!header) {
        pending = Buffer.concat([pending, data]);
        const newline = pending.indexOf(0x0a);
        if (newline < 0) {
          if (pending.length > MAX_BUNDLE_STREAM_HEADER_BYTES)
            throw new CentralBundleError('The bundle stream has no header line');
          continue;
        }
        let parsed: unknown = null;
        try {
          parsed = JSON.parse(pending.subarray(0, newline).toString('utf8'));
        } catch {
          parsed = null;
        }
        const checked = bundleStreamHeaderSchema.safeParse(parsed);
        if (!checked.success) {
          throw new CentralBundleError(`The control plane at ${server} answered with something other than a bundle`);
        }
        if (checked.data.tenant !== tenant) {
          throw new CentralBundleError(
            `The control plane sent tenant "${checked.data.tenant}"'s bundle, not "${tenant}"'s`,
          );
        }
        header = checked.data;
        data = pending.subarray(newline + 1);
        open();
      }
      while (data.length > 0) {
        if (fd === null) throw new CentralBundleError('The bundle stream carries more than its header says');
        const written = fs.writeSync(fd, data, 0, Math.min(left, data.length));
        left -= written;
        data = data.subarray(written);
        if (left === 0) {
          fs.closeSync(fd);
          fd = null;
          index += 1;
          open();
        }
      }
    }
  } catch (error) {
    if (error instanceof CentralBundleError) throw error;
    throw new CentralBundleError(
      `The bundle stream from ${server} broke off (${error instanceof Error ? error.message : String(error)}); nothing was written`,
    );
  } finally {
    if (fd !== null) fs.closeSync(fd);
  }
  if (!header || index < header.files.length) {
    throw new CentralBundleError(`The bundle stream from ${server} ended early; nothing was written`);
  }
}
