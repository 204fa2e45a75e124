import fs from 'node:fs';
import path from 'node:path';
import type { Handler, OfflineReview, Principal } from '../contract';
import { verifyAttestedBundle } from '../approvals';
import type { ReadinessService, RunControl } from './service';
import type { TrialService } from './trial';
import { PACKET_FILES, verifyPacket } from './packet';

type Names =
  | 'readiness.run'
  | 'readiness.packet.export'
  | 'readiness.packet.verify'
  | 'offline.verify'
  | 'trial.status'
  | 'trial.closeout';

/**
 * Where a directory to verify may be (core/service's rule for exports): outside the data
 * directory anywhere, inside it only in this tenant's archive; throws `forbidden` otherwise.
 */
export type LocateExport = (tenant: string, given: string) => string;

/** Starts long work as a job (core/service's JobRunner), with progress and cancel. */
export type StartJob = <T>(
  spec: { kind: string; tenant: string; principal: Principal; phase: string },
  work: (control: RunControl) => Promise<T>,
) => string;

export function readinessHandlers(
  readiness: ReadinessService,
  trial: TrialService,
  start: StartJob,
  locate: LocateExport,
): { [K in Names]: Handler<K> } {
  return {
    'trial.status': (ctx) => trial.status(ctx.tenant),
    'readiness.run': (ctx, input) => ({
      jobId: start(
        { kind: 'readiness.run', tenant: ctx.tenant, principal: ctx.principal, phase: 'Running validators' },
        (control) => readiness.run(ctx.tenant, input.gate, input.scope ?? null, ctx.principal, control),
      ),
    }),
    'readiness.packet.export': (ctx) => ({
      jobId: start(
        { kind: 'readiness.packet.export', tenant: ctx.tenant, principal: ctx.principal, phase: 'Running validators' },
        (control) => readiness.exportPacket(ctx.tenant, ctx.principal, control),
      ),
    }),
    'trial.closeout': (ctx, input) => ({
      jobId: start(
        { kind: 'trial.closeout', tenant: ctx.tenant, principal: ctx.principal, phase: 'Running the production gate' },
        (control) => readiness.closeout(ctx.tenant, ctx.principal, input, control),
      ),
    }),
    'readiness.packet.verify': (ctx, input) => {
      // Refused before the job starts: a path into another tenant's data is never read.
      const dir = locate(ctx.tenant, path.resolve(input.path));
      return {
        jobId: start(
          { kind: 'readiness.packet.verify', tenant: ctx.tenant, principal: ctx.principal, phase: 'Verifying packet' },
          ({ signal, progress }) =>
            verifyPacket(dir, {
              trustedKey: input.trustedKey,
              signal,
              onProgress: ({ done, total }) => progress({ done, total }),
            }),
        ),
      };
    },
    'offline.verify': (ctx, input) => {
      const dir = locate(ctx.tenant, path.resolve(input.path));
      return {
        jobId: start(
          { kind: 'offline.verify', tenant: ctx.tenant, principal: ctx.principal, phase: 'Verifying' },
          async ({ signal, progress }): Promise<OfflineReview> => {
            const options = {
              trustedKey: input.trustedKey,
              signal,
              onProgress: ({ done, total }: { done: number; total: number }) => progress({ done, total }),
            };
            // A packet is a directory with a signed envelope beside its bundle; anything else is read as a bundle.
            if (fs.existsSync(path.join(dir, PACKET_FILES.envelope))) {
              return { kind: 'packet', packet: await verifyPacket(dir, options) };
            }
            // Approval verdicts attested by the IdP are checked in the same pass (core/approvals).
            const bundle = await verifyAttestedBundle(dir, options);
            return { kind: 'bundle', bundle: { ...bundle, checked: { ...bundle.checked } } };
          },
        ),
      };
    },
  };
}
