import { z } from 'zod';

export const principalKinds = ['local_evaluation', 'oidc', 'service'] as const;

/** Who is calling. Roles are never carried here: the core looks them up per tenant. */
export const principalSchema = z.object({
  id: z.string().min(1).max(200),
  displayName: z.string().min(1).max(200),
  kind: z.enum(principalKinds),
});
export type Principal = z.infer<typeof principalSchema>;
