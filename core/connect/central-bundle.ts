import fs from 'node:fs';
import path from 'node:path';
import { verifyBundle } from '../evidence';
import type { BundleVerification } from '../evidence';
import { ControlPlaneClient } from './client';
import type { Connection } from './connection';
import { CENTRAL_BUNDLE_PATH, TENANT_HEADER, centralBundleSchema } from './wire';
import type { CentralBundleRequest } from './wire';

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
  const answer = await client.call<{ ok: true; value: unknown }>('POST', CENTRAL_BUNDLE_PATH, input.range ?? {}, {
    bearer: input.idToken,
    headers: { [TENANT_HEADER]: tenant },
  });
  const bundle = centralBundleSchema.safeParse(answer?.value);
  if (!bundle.success) {
    throw new CentralBundleError(
      `The control plane at ${connection.server} answered with something other than a bundle`,
    );
  }
  if (bundle.data.tenant !== tenant) {
    throw new CentralBundleError(`The control plane sent tenant "${bundle.data.tenant}"'s bundle, not "${tenant}"'s`);
  }
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const staging = fs.mkdtempSync(path.join(path.dirname(out), `.${path.basename(out)}.partial-`));
  try {
    for (const file of bundle.data.files) {
      fs.writeFileSync(path.join(staging, file.path), file.content, { flag: 'wx', mode: 0o644 });
    }
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
