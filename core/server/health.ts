import type { RouteModule } from './routes';

/** `/healthz`: the process is up and serving. `/readyz`: it can do its work (store + schema). */
export const healthRoutes: RouteModule = (deps) => [
  { method: 'GET', path: '/healthz', auth: 'none', handle: () => ({ body: { ok: true } }) },
  {
    method: 'GET',
    path: '/readyz',
    auth: 'none',
    async handle() {
      const report = await deps.readiness.check();
      return { status: report.ready ? 200 : 503, body: report };
    },
  },
];
