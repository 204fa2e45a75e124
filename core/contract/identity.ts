import { z } from 'zod';

/**
 * Who can be acting (SPEC §7):
 * - `human`: signed in at the tenant's IdP (OpenID Connect); roles come from group mappings.
 * - `agent`: an adapter authenticated by a credential issued per install and bound to one tenant;
 *   it reaches the core only through the runtime gate and never governs (no authority operation).
 * - `local_evaluation`: the clearly labelled identity for first runs without an IdP; never
 *   accepted by the production readiness gate, refused authority where a tenant has SSO.
 */
export const principalKinds = ['human', 'agent', 'local_evaluation'] as const;
export const principalKindSchema = z.enum(principalKinds);
export type PrincipalKind = z.infer<typeof principalKindSchema>;

/** The OS account a transport verified (the console's own process, a socket peer's credentials). */
export const osUserSchema = z.object({ uid: z.number().int().nonnegative(), name: z.string().min(1).max(256) });
export type OsUser = z.infer<typeof osUserSchema>;

/** Who is calling. Roles are never carried here: the core looks them up per tenant. */
export const principalSchema = z.object({
  id: z.string().min(1).max(200),
  displayName: z.string().min(1).max(200),
  kind: principalKindSchema,
  /**
   * The sign-in this principal acts under (a login record), or null when nobody signed in:
   * such a caller may read what its roles allow but never change state.
   */
  session: z.string().min(1).max(200).nullable().optional(),
  /** The OS user behind the call, as the transport verified it (never a field a caller sets). */
  osUser: osUserSchema.nullable().optional(),
  /** An agent's tenant, from its credential: the only tenant it may act in. */
  tenant: z.string().min(1).max(63).optional(),
});
export type Principal = z.infer<typeof principalSchema>;
