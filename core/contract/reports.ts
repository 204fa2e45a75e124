import { z } from 'zod';
import { connectorIdSchema, deliverySchema, emailAddressSchema } from './connectors';
import { defineOperation } from './define';
import type { Role } from './roles';

/** Who may render and preview reports. */
const reportReaders: readonly Role[] = [
  'compliance',
  'security_reviewer',
  'executive',
  'operator',
  'tenant_admin',
  'evaluator',
];
/** Who may send reports outside the console and set report policy. */
const reportSenders: readonly Role[] = ['compliance', 'tenant_admin'];

export const reportKinds = ['security', 'compliance', 'executive', 'operator'] as const;
export const reportKindSchema = z.enum(reportKinds, {
  error: `must be one of ${reportKinds.join(', ')}`,
});
export type ReportKind = z.infer<typeof reportKindSchema>;

const isoTime = z.iso.datetime({ offset: true, error: 'must be an RFC 3339 time, e.g. 2026-11-25T10:00:00Z' });

const domainSchema = z
  .string()
  .max(253)
  .regex(/^(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,63}$/, 'must be a domain such as acme.example (lowercase)');

/** The one document model every rendering (HTML e-mail, PDF, JSON, CSV, the console preview) is drawn from. */
export const reportDocumentSchema = z.object({
  kind: reportKindSchema,
  title: z.string(),
  tenant: z.string(),
  generatedAt: z.string(),
  period: z.object({ from: z.string(), to: z.string() }),
  summary: z.string(),
  figures: z.array(
    z.object({ label: z.string(), value: z.string(), tone: z.enum(['good', 'warn', 'bad', 'neutral']) }),
  ),
  sections: z.array(
    z.object({
      heading: z.string(),
      paragraphs: z.array(z.string()),
      table: z.object({ columns: z.array(z.string()), rows: z.array(z.array(z.string())) }).nullable(),
    }),
  ),
  /** Where the numbers come from, said plainly (ledger records, checkpoints). */
  sources: z.array(z.string()),
  /** What the tenant's redaction policy removed before rendering. */
  redactions: z.array(z.string()),
});
export type ReportDocument = z.infer<typeof reportDocumentSchema>;

export const redactionPolicySchema = z
  .object({
    /** Replace command arguments with "…" (keep the program): arguments often carry hosts, tokens, names. */
    commandArguments: z.boolean(),
    /** Path prefixes replaced by "<redacted>/" (home directories, customer names in paths). */
    pathPrefixes: z.array(z.string().min(1).max(512)).max(50),
    /** Replace actor e-mail addresses with their domain only. */
    actorEmails: z.boolean(),
  })
  .strict();
export type RedactionPolicy = z.infer<typeof redactionPolicySchema>;

export const reportSettingsSchema = z
  .object({
    redaction: redactionPolicySchema,
    /** Recipients in these domains receive reports directly; anyone else needs an approval first. */
    allowedDomains: z.array(domainSchema).max(50),
    /** The tenant's report recipients (until the tenant record carries them). */
    recipients: z.array(emailAddressSchema).max(200),
    /** The SMTP connector reports go through. */
    reportConnector: connectorIdSchema.nullable(),
    /** Where a delivery that ran out of attempts is escalated: a connector and, for e-mail, who. */
    escalation: z
      .object({ connector: connectorIdSchema, to: z.array(emailAddressSchema).max(20) })
      .strict()
      .nullable(),
  })
  .strict();
export type ReportSettings = z.infer<typeof reportSettingsSchema>;

export const reportScheduleSchema = z.object({
  id: z.string(),
  kind: reportKindSchema,
  cadence: z.enum(['daily', 'weekly']),
  recipients: z.array(z.string()),
  nextRunAt: z.string(),
  lastRunAt: z.string().nullable(),
  createdBy: z.string(),
});
export type ReportScheduleView = z.infer<typeof reportScheduleSchema>;

const periodInput = { from: isoTime.optional(), to: isoTime.optional() };

export const reportOperations = {
  'reports.render': defineOperation({
    description:
      "Render a report from the ledger with the tenant's redaction applied: the document, its HTML, CSV and (executive) PDF.",
    scope: 'tenant',
    feature: 'reports',
    roles: reportReaders,
    input: z.object({ kind: reportKindSchema, ...periodInput }).strict(),
    output: z.object({
      document: reportDocumentSchema,
      html: z.string(),
      csv: z.string(),
      /** Base64 PDF for the executive report, null otherwise. */
      pdf: z.string().nullable(),
    }),
  }),
  'reports.deliver': defineOperation({
    description:
      'Deliver a report by e-mail through the durable outbox, one delivery per recipient; recipients outside the ' +
      'allowed domains wait for an approval in the approval queue.',
    scope: 'tenant',
    feature: 'reports',
    roles: reportSenders,
    mutates: true,
    input: z
      .object({
        kind: reportKindSchema,
        recipients: z.array(emailAddressSchema).min(1, 'name at least one recipient').max(50),
        ...periodInput,
      })
      .strict(),
    output: z.object({ deliveries: z.array(deliverySchema) }),
  }),
  'reports.settings.get': defineOperation({
    description: 'Redaction policy, recipient policy, report recipients, report connector and escalation route.',
    scope: 'tenant',
    feature: 'reports',
    roles: reportReaders,
    input: z.object({}).strict(),
    output: reportSettingsSchema,
  }),
  'reports.settings.set': defineOperation({
    description: 'Change report and delivery policy; recorded as a config change before it applies.',
    scope: 'tenant',
    feature: 'reports',
    roles: reportSenders,
    mutates: true,
    configuration: true,
    authority: true,
    input: reportSettingsSchema,
    output: reportSettingsSchema,
  }),
  'reports.schedules.list': defineOperation({
    description: 'Scheduled report deliveries.',
    scope: 'tenant',
    feature: 'reports',
    roles: reportReaders,
    input: z.object({}).strict(),
    output: z.object({ schedules: z.array(reportScheduleSchema) }),
  }),
  'reports.schedules.save': defineOperation({
    description: 'Deliver a report daily or weekly to the given recipients (the recipient policy applies at each run).',
    scope: 'tenant',
    feature: 'reports',
    roles: reportSenders,
    mutates: true,
    configuration: true,
    authority: true,
    input: z
      .object({
        kind: reportKindSchema,
        cadence: z.enum(['daily', 'weekly'], { error: 'must be "daily" or "weekly"' }),
        recipients: z.array(emailAddressSchema).min(1, 'name at least one recipient').max(50),
        firstRunAt: isoTime.optional(),
      })
      .strict(),
    output: reportScheduleSchema,
  }),
  'reports.schedules.remove': defineOperation({
    description: 'Stop a scheduled report.',
    scope: 'tenant',
    feature: 'reports',
    roles: reportSenders,
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({ id: z.string().regex(/^sch_[0-9a-f-]{36}$/, 'must be a schedule id (sch_…)') }).strict(),
    output: z.object({ removed: z.boolean() }),
  }),
} as const;
