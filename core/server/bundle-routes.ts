import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { ContractError } from '../contract';
import type { Principal } from '../contract';
import { BUNDLE_FILES, LedgerInputError, LedgerSigningError } from '../evidence';
import { BUNDLE_STREAM_TYPE, CENTRAL_BUNDLE_PATH, centralBundleRequestSchema } from '../connect';
import type { BundleStreamHeader } from '../connect';
import type { RouteModule } from './routes';

export { CENTRAL_BUNDLE_PATH };

/**
 * The tenant's central ledger as an evidence bundle, for the people who may export its
 * evidence: the core's one guard decides (the roles of `evidence.export`), for the tenant the
 * bearer authenticated for and no other. The bundle is written by the one bundle writer into a
 * private temporary directory, streamed from there (a header line naming each file and its size,
 * then the files' bytes: `bundleStreamHeaderSchema`), and removed; the client writes and verifies it.
 */
export const centralBundleRoutes: RouteModule = (deps) => [
  {
    method: 'POST',
    path: CENTRAL_BUNDLE_PATH,
    auth: 'human',
    async handle(ctx) {
      const tenant = ctx.tenant as string;
      await deps.core.authorize(ctx.principal as Principal, 'evidence.export', tenant);
      const parsed = centralBundleRequestSchema.safeParse(ctx.body ?? {});
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const field = issue?.path.join('.') || undefined;
        throw new ContractError(
          'invalid_input',
          `${field ?? 'body'}: ${issue?.message ?? 'invalid'} (the body is {from?, to?}: a sequence number or an RFC 3339 time each; the tenant is the one you signed in for)`,
          field,
        );
      }
      const staging = fs.mkdtempSync(path.join(os.tmpdir(), 'cavra-central-bundle-'));
      const remove = () => fs.rmSync(staging, { recursive: true, force: true });
      try {
        const out = path.join(staging, 'bundle');
        await deps.ledger.exportBundle(tenant, deps.core.evidenceSigner(tenant), { out, ...parsed.data });
        const header: BundleStreamHeader = {
          tenant,
          files: Object.values(BUNDLE_FILES).map((name) => ({
            path: name,
            bytes: fs.statSync(path.join(out, name)).size,
          })),
        };
        return {
          contentType: BUNDLE_STREAM_TYPE,
          // The files go out from disk as they are read: the answer is never held in memory.
          async stream(response: Writable) {
            try {
              response.write(`${JSON.stringify(header)}\n`);
              for (const file of header.files) {
                await pipeline(fs.createReadStream(path.join(out, file.path)), response, { end: false });
              }
            } finally {
              remove();
            }
          },
        };
      } catch (error) {
        remove();
        if (error instanceof LedgerInputError) throw new ContractError('invalid_input', error.message);
        if (error instanceof LedgerSigningError) {
          throw new ContractError('unavailable', `The central ledger cannot be signed here: ${error.message}`);
        }
        throw error;
      }
    },
  },
];
