import type http from 'node:http';
import { ContractError, tenantIdSchema } from '../contract';
import type { Principal } from '../contract';
import { TENANT_HEADER } from '../connect';

/** The tenant a person's bearer token is for: its IdP validates the token (the header is on the machine wire too). */
export { TENANT_HEADER };

export interface Caller {
  principal: Principal;
  /** The one tenant this request may touch. */
  tenant: string;
}

/**
 * The machine seam: the credential an enrolled gate presents, or null when the token is not
 * one (the server then tries it as a person's OIDC token). A machine is an `agent` principal
 * bound to `principal.tenant`: it appends evidence and raises approval requests, never decides.
 */
export type MachineVerifier = (token: string) => Promise<Principal | null> | Principal | null;

/** A person's OIDC bearer token, validated against `tenant`'s IdP; throws ContractError when refused. */
export type HumanVerifier = (tenant: string, token: string) => Promise<Principal>;

export interface Authenticator {
  authenticate(headers: http.IncomingHttpHeaders): Promise<Caller>;
}

const BEARER = /^Bearer ([\x21-\x7e]{1,8192})$/;
const JWT = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** The token of an `Authorization: Bearer …` header, or a 401 naming what is wrong. */
export function bearerToken(headers: http.IncomingHttpHeaders): string {
  const header = headers.authorization;
  if (header === undefined) {
    throw new ContractError('unauthenticated', 'Missing credentials: send "Authorization: Bearer <token>"');
  }
  const match = BEARER.exec(header);
  if (!match) throw new ContractError('unauthenticated', 'Authorization: must be "Bearer <token>"');
  return match[1] as string;
}

function tenantHeader(headers: http.IncomingHttpHeaders): string | null {
  const value = headers[TENANT_HEADER];
  if (value === undefined) return null;
  if (typeof value !== 'string' || !tenantIdSchema.safeParse(value).success) {
    throw new ContractError('invalid_input', `${TENANT_HEADER}: must be one tenant id`, TENANT_HEADER);
  }
  return value;
}

/**
 * Bearer authentication for every non-public route: an enrolled machine's credential first
 * (its tenant is the credential's), else a person's OIDC token for the tenant named in the
 * `cavra-tenant` header. A request naming another tenant than the credential's is refused.
 */
export function bearerAuthenticator(verifiers: { machines: MachineVerifier; humans: HumanVerifier }): Authenticator {
  return {
    async authenticate(headers) {
      const token = bearerToken(headers);
      const named = tenantHeader(headers);
      const machine = await verifiers.machines(token);
      if (machine) {
        if (machine.kind !== 'agent' || !machine.tenant) {
          throw new ContractError('unauthenticated', 'The machine credential is not bound to a tenant');
        }
        if (named !== null && named !== machine.tenant) {
          throw new ContractError(
            'forbidden',
            `This machine is enrolled in another tenant than "${named}"; a machine acts only in its own tenant`,
            TENANT_HEADER,
          );
        }
        return { principal: machine, tenant: machine.tenant };
      }
      if (!JWT.test(token)) {
        throw new ContractError(
          'unauthenticated',
          'The bearer token is neither an enrolled machine credential nor an OIDC token',
        );
      }
      if (named === null) {
        throw new ContractError(
          'unauthenticated',
          `Name the tenant whose IdP issued this token in the "${TENANT_HEADER}" header`,
          TENANT_HEADER,
        );
      }
      return { principal: await verifiers.humans(named, token), tenant: named };
    },
  };
}
