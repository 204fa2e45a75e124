import path from 'node:path';
import type { Handler, Principal } from '../contract';
import type { ReadinessService, RunControl } from './service';
import type { TrialService } from './trial';
import { verifyPacket } from './packet';

type Names = 'readiness.run' | 'readiness.packet.export' | 'readiness.packet.verify' | 'trial.status' | 'trial.closeout';

/** Starts long work as a job (core/service's JobRunner), with progress and cancel. */
export type StartJob = <T>(
  spec: { kind: string; tenant: string; principal: Principal; phase: string },
  work: (control: RunControl) => Promise<T>,
) => string;

export function readinessHandlers(
  readiness: ReadinessService,
  trial: TrialService,
  start: StartJob,
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
    'readiness.packet.verify': (ctx, input) => ({
      jobId: start(
        { kind: 'readiness.packet.verify', tenant: ctx.tenant, principal: ctx.principal, phase: 'Verifying packet' },
        ({ signal, progress }) =>
          verifyPacket(path.resolve(input.path), {
            trustedKey: input.trustedKey,
            signal,
            onProgress: ({ done, total }) => progress({ done, total }),
          }),
      ),
    }),
  };
}
