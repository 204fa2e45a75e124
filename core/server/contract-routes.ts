import { ContractError, operations, requestEnvelopeSchema } from '../contract';
import type { ResponseEnvelope } from '../contract';
import { statusFor } from './http';
import { INVOKE_PATH } from '../connect';
import type { RouteModule } from './routes';

export { INVOKE_PATH };

/**
 * The contract over HTTPS: the body is the same request envelope every transport carries
 * (`{op, tenant, input}`), answered by the core's one guard with the caller's principal. The
 * server adds rules of its own: a call names no tenant but the one the caller authenticated
 * for; sign-in operations are refused (the server authenticates each request by its bearer
 * token; it keeps no console session); and so are operations that read or run what is on the
 * machine they are asked on (`machineLocal`: a path there would be one on the server).
 */
export const contractRoutes: RouteModule = (deps) => [
  {
    method: 'POST',
    path: INVOKE_PATH,
    auth: 'caller',
    async handle(ctx) {
      const envelope = requestEnvelopeSchema.safeParse(ctx.body);
      if (!envelope.success) {
        throw new ContractError('invalid_input', 'The body must be a request envelope {op, tenant, input}');
      }
      const { op, tenant } = envelope.data;
      if (op.startsWith('session.')) {
        throw new ContractError(
          'forbidden',
          `${op}: the server authenticates every request by its bearer token; there is no session to open`,
        );
      }
      const spec = (operations as Record<string, { machineLocal?: true } | undefined>)[op];
      if (spec?.machineLocal) {
        throw new ContractError(
          'forbidden',
          `${op}: it reads or runs what is on the machine it is asked on, and this is the control plane's server; run it on your own machine`,
        );
      }
      if (tenant !== null && tenant !== ctx.tenant) {
        throw new ContractError(
          'forbidden',
          `tenant: this request authenticated for "${ctx.tenant}" and cannot act in "${tenant}"`,
          'tenant',
        );
      }
      const response: ResponseEnvelope = await deps.core.invoke(ctx.principal, envelope.data);
      return { status: response.ok ? 200 : statusFor(response.error.code), body: response };
    },
  },
];
