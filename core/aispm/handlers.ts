import type { Handler } from '../contract';
import type { AispmService } from './service';

type AispmOperation =
  | 'aispm.status'
  | 'aispm.findings.list'
  | 'aispm.finding.get'
  | 'aispm.finding.evidence'
  | 'aispm.records'
  | 'aispm.finding.update'
  | 'aispm.finding.accept_risk'
  | 'aispm.coverage'
  | 'aispm.trend'
  | 'aispm.reviews.list'
  | 'aispm.review.packet'
  | 'aispm.review.complete';

/** AISPM registers its own contract handlers (HOUSE rule 16). */
export function aispmHandlers(service: AispmService): { [K in AispmOperation]: Handler<K> } {
  return {
    'aispm.status': (ctx) => service.status(ctx.tenant),
    'aispm.findings.list': (ctx, input) => service.findings(ctx.tenant, input),
    'aispm.finding.get': (ctx, input) => service.finding(ctx.tenant, input.id),
    'aispm.finding.evidence': (ctx, input) =>
      service.evidence(ctx.tenant, input.id, { before: input.before, limit: input.limit }),
    'aispm.records': (ctx, input) => service.records(ctx.tenant, input.seqs),
    'aispm.finding.update': (ctx, input) => service.updateFinding(ctx.tenant, ctx.principal, input),
    'aispm.finding.accept_risk': (ctx, input) => service.acceptRisk(ctx.tenant, ctx.principal, input),
    'aispm.coverage': (ctx) => service.coverage(ctx.tenant),
    'aispm.trend': (ctx, input) => service.trend(ctx.tenant, input.days ?? 30),
    'aispm.reviews.list': (ctx) => service.reviews(ctx.tenant),
    'aispm.review.packet': (ctx, input) => service.packet(ctx.tenant, input.kind),
    'aispm.review.complete': (ctx, input) => service.completeReview(ctx.tenant, ctx.principal, input),
  };
}
