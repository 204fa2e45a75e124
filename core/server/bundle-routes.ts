import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ContractError } from '../contract';
import type { Principal } from '../contract';
import { BUNDLE_FILES, LedgerInputError, LedgerSigningError } from '../evidence';
import { CENTRAL_BUNDLE_PATH, centralBundleRequestSchema } from '../connect';
import type { CentralBundle } from '../connect';
import type { RouteModule } from './routes';

export { CENTRAL_BUNDLE_PATH };

/**
 * The tenant's central ledger as an evidence bundle, for the people who may export its
 * evidence: the core's one guard decides (the roles of `evidence.export`), for the tenant the
 * bearer authenticated for and no other. The bundle is written by the one bundle writer into a
 * private temporary directory, sent as its files, and removed; the client writes and verifies it.
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
      try {
        const out = path.join(staging, 'bundle');
        await deps.ledger.exportBundle(tenant, deps.core.evidenceSigner(tenant), { out, ...parsed.data });
        const files = Object.values(BUNDLE_FILES).map((name) => ({
          path: name,
          content: fs.readFileSync(path.join(out, name), 'utf8'),
        }));
        const value: CentralBundle = { tenant, files };
        return { body: { ok: true, value } };
      } catch (error) {
        if (error instanceof LedgerInputError) throw new ContractError('invalid_input', error.message);
        if (error instanceof LedgerSigningError) {
          throw new ContractError('unavailable', `The central ledger cannot be signed here: ${error.message}`);
        }
        throw error;
      } finally {
        fs.rmSync(staging, { recursive: true, force: true });
      }
    },
  },
];
