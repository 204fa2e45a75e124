import type { Handler } from '../contract';
import type { ReportService } from './service';

type Names =
  | 'reports.render'
  | 'reports.deliver'
  | 'reports.settings.get'
  | 'reports.settings.set'
  | 'reports.schedules.list'
  | 'reports.schedules.save'
  | 'reports.schedules.remove';

export function reportHandlers(
  reports: ReportService,
  changed: (tenant: string) => void,
): { [K in Names]: Handler<K> } {
  return {
    'reports.render': async (ctx, input) => {
      const report = await reports.render(ctx.tenant, input.kind, input.from, input.to);
      return {
        document: report.document,
        html: report.html,
        csv: report.csv,
        pdf: report.pdf?.toString('base64') ?? null,
      };
    },
    'reports.deliver': async (ctx, input) => {
      const deliveries = await reports.deliver(ctx.tenant, input, ctx.principal.id);
      changed(ctx.tenant);
      return { deliveries };
    },
    'reports.settings.get': (ctx) => reports.settings(ctx.tenant),
    'reports.settings.set': async (ctx, input) => {
      const settings = await reports.setSettings(ctx.tenant, input, ctx.principal.id);
      changed(ctx.tenant);
      return settings;
    },
    'reports.schedules.list': async (ctx) => ({ schedules: await reports.schedules(ctx.tenant) }),
    'reports.schedules.save': async (ctx, input) => {
      const schedule = await reports.addSchedule(ctx.tenant, input, ctx.principal.id);
      changed(ctx.tenant);
      return schedule;
    },
    'reports.schedules.remove': async (ctx, input) => {
      const removed = await reports.removeSchedule(ctx.tenant, input.id, ctx.principal.id);
      changed(ctx.tenant);
      return { removed };
    },
  };
}
