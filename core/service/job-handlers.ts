import type { Handler, HandlerDeps } from './handlers';

export function jobHandlers(deps: HandlerDeps): {
  'jobs.get': Handler<'jobs.get'>;
  'jobs.cancel': Handler<'jobs.cancel'>;
} {
  return {
    'jobs.get': (ctx, input) => deps.jobs.get(input.jobId, ctx.principal, ctx.tenant),
    'jobs.cancel': (ctx, input) => deps.jobs.cancel(input.jobId, ctx.principal, ctx.tenant),
  };
}
