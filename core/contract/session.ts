import { z } from 'zod';
import { defineOperation } from './define';
import { principalSchema } from './identity';
import { roleSchema } from './roles';
import { tenantIdSchema } from './tenants';
import { shellKinds } from './system';

/** RFC 8252 §7.3: the redirect comes back to a loopback port the shell opened for this sign-in. */
export const loopbackRedirectSchema = z
  .string({ error: 'is required and must be a URL' })
  .max(300)
  .superRefine((value, ctx) => {
    let url: URL;
    try {
      url = new URL(value);
    } catch {
      return ctx.addIssue({ code: 'custom', message: 'must be a URL' });
    }
    if (url.protocol !== 'http:' || url.hostname !== '127.0.0.1' || url.port === '' || url.search || url.hash) {
      ctx.addIssue({
        code: 'custom',
        message: 'must be http://127.0.0.1:<port>/<path>, a loopback redirect (RFC 8252)',
      });
    }
  });

export const signedInSchema = z.object({
  sessionId: z.string(),
  principal: principalSchema,
  tenant: z.string(),
  roles: z.array(roleSchema),
  /** When the ID token expires; the session is refreshed with the refresh token where the IdP gave one. */
  expiresAt: z.string(),
});
export type SignedIn = z.infer<typeof signedInSchema>;

/**
 * Sign-in (SPEC §7): authorization code + PKCE at the tenant's IdP, state and nonce checked,
 * the ID token validated (issuer, audience, expiry, signature through the IdP's JWKS). These
 * operations are open to callers who have not signed in yet; each shell keeps the principal
 * that `session.complete` returns for its own user and passes it on every later call.
 */
export const sessionOperations = {
  'session.status': defineOperation({
    description:
      'Whether the caller is signed in, and the ways to sign in: tenants with SSO, and whether the local evaluation identity may be used here.',
    scope: 'install',
    public: true,
    input: z.object({}).strict(),
    output: z.object({
      principal: principalSchema.nullable(),
      ssoTenants: z.array(z.object({ id: z.string(), displayName: z.string() })),
      /** Whether the labelled local evaluation identity can sign in here (an install with a default tenant). */
      localEvaluation: z.boolean(),
      /** Which shell serves the page: a desktop sign-in opens the system browser, browser mode navigates. */
      shell: z.enum(shellKinds),
    }),
  }),
  'session.begin': defineOperation({
    description:
      "Start a sign-in at the tenant's IdP: returns the authorization URL (PKCE S256, state, nonce) to open in the system browser.",
    scope: 'install',
    public: true,
    input: z
      .object({ tenant: tenantIdSchema, redirectUri: loopbackRedirectSchema, test: z.boolean().optional() })
      .strict(),
    output: z.object({ flowId: z.string(), authorizationUrl: z.string() }),
  }),
  'session.complete': defineOperation({
    description:
      'Finish a sign-in with the URL the IdP redirected to; validates state, code, nonce and the ID token, maps groups to roles and records the login.',
    scope: 'install',
    public: true,
    input: z.object({ flowId: z.string().min(1).max(100), callbackUrl: z.string().min(1).max(8192) }).strict(),
    output: signedInSchema.extend({ test: z.boolean(), groups: z.array(z.string()) }),
  }),
  'session.resume': defineOperation({
    description: 'The principal of a stored session, refreshed at the IdP when its ID token has expired.',
    scope: 'install',
    public: true,
    input: z.object({ sessionId: z.string().min(1).max(100) }).strict(),
    output: signedInSchema,
  }),
  'session.local': defineOperation({
    description:
      'Sign in as the clearly labelled local evaluation identity (first runs without an IdP); recorded as a login.',
    scope: 'install',
    public: true,
    input: z.object({ tenant: tenantIdSchema.optional() }).strict(),
    output: signedInSchema,
  }),
  'session.logout': defineOperation({
    description: 'End a session: its tokens are deleted from the keychain and the logout is recorded.',
    scope: 'install',
    public: true,
    input: z.object({ sessionId: z.string().min(1).max(100) }).strict(),
    output: z.object({ endSessionUrl: z.string().nullable() }),
  }),
} as const;
