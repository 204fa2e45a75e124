import { z } from 'zod';
import { errorCodes } from './errors';
import type { ErrorEnvelope } from './errors';
import type { EventName } from './names';

/** What every transport carries from a client to the core. */
export const requestEnvelopeSchema = z
  .object({
    op: z.string().min(1).max(100),
    tenant: z.string().max(100).nullable(),
    input: z.unknown(),
  })
  .strict();
export type RequestEnvelope = z.infer<typeof requestEnvelopeSchema>;

export type ResponseEnvelope<T = unknown> = { ok: true; value: T } | { ok: false; error: ErrorEnvelope };

export const responseEnvelopeSchema = z.union([
  z.object({ ok: z.literal(true), value: z.unknown() }),
  z.object({
    ok: z.literal(false),
    error: z.object({
      code: z.enum(errorCodes),
      message: z.string(),
      field: z.string().optional(),
      issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  }),
]);

export interface EventEnvelope<P = unknown> {
  event: EventName;
  /** Tenant the event concerns; null for install-wide events. */
  tenant: string | null;
  payload: P;
}

export const eventEnvelopeSchema = z.object({
  event: z.string(),
  tenant: z.string().nullable(),
  payload: z.unknown(),
});
