import { z } from 'zod';
import { defineEvent, defineOperation } from './define';
import type { Role } from './roles';

/** Who configures connectors and works the delivery audit (SPEC §8); agents never do. */
export const connectorAdmins: readonly Role[] = ['tenant_admin', 'operator'];
/** Who may see connector configuration, health and the delivery audit. */
export const connectorReaders: readonly Role[] = [
  'tenant_admin',
  'operator',
  'security_reviewer',
  'compliance',
  'evaluator',
];

export const connectorKinds = [
  'smtp',
  'webhook',
  'syslog',
  'splunk_hec',
  'slack',
  'teams',
  'jira',
  'servicenow',
  'witness_file',
] as const;
export const connectorKindSchema = z.enum(connectorKinds);
export type ConnectorKind = z.infer<typeof connectorKindSchema>;

/** Which secret of a connector: its credential, or (SMTP) the DKIM signing key. */
export const secretSlots = ['credential', 'dkim'] as const;
export const secretSlotSchema = z.enum(secretSlots);
export type SecretSlot = z.infer<typeof secretSlotSchema>;

export const connectorIdSchema = z
  .string({ error: 'is required and must be a string' })
  .regex(/^[a-z][a-z0-9-]{0,62}$/, 'must be 1–63 lowercase letters, digits or "-", starting with a letter');

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const line = (max: number) =>
  z
    .string({ error: 'must be a string' })
    .min(1, 'is required')
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL.test(value), 'must not contain control characters');

export const emailAddressSchema = z
  .string({ error: 'must be an e-mail address' })
  .max(254, 'must be at most 254 characters')
  .regex(
    /^[^\s@<>()",;:\\[\]]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+$/,
    {
      message: 'must be an e-mail address such as reviewer@acme.example',
    },
  )
  .transform((value) => value.toLowerCase());

const hostSchema = z
  .string({ error: 'is required and must be a host name or IP address' })
  .min(1, 'is required')
  .max(253)
  .regex(/^[A-Za-z0-9.:[\]-]+$/, 'must be a host name or IP address');
const portSchema = z
  .number({ error: 'must be a port number' })
  .int('must be a whole number')
  .min(1, 'must be 1–65535')
  .max(65535, 'must be 1–65535');

/** Only https: a connector never sends evidence or credentials in clear text. */
const httpsUrlSchema = z
  .string({ error: 'is required and must be an https:// URL' })
  .max(2048)
  .refine((value) => {
    try {
      const url = new URL(value);
      return url.protocol === 'https:' && url.username === '' && url.password === '';
    } catch {
      return false;
    }
  }, 'must be an https:// URL without credentials in it (credentials go in the secret)');

/** A PEM CA bundle to trust besides the system's (a private CA); never "skip verification". */
const caSchema = z
  .string()
  .max(64 * 1024)
  .refine((value) => value.includes('-----BEGIN CERTIFICATE-----'), 'must be PEM certificates')
  .optional();

const timeoutSchema = z.number().int().min(1, 'must be at least 1 second').max(300, 'must be at most 300 seconds');

export const retryPolicySchema = z
  .object({
    maxAttempts: z.number().int().min(1, 'must be at least 1').max(20, 'must be at most 20'),
    /** First retry after about this long; each retry doubles it (with jitter) up to an hour. */
    baseDelaySeconds: z.number().min(0.1, 'must be at least 0.1 seconds').max(3600, 'must be at most 3600 seconds'),
  })
  .strict();
export type RetryPolicy = z.infer<typeof retryPolicySchema>;
export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 5, baseDelaySeconds: 30 };

const smtpSettings = z
  .object({
    host: hostSchema,
    port: portSchema,
    /** `starttls`: plain connect, then STARTTLS is required (refused without it); `tls`: implicit TLS. */
    security: z.enum(['starttls', 'tls'], { error: 'must be "starttls" or "tls"' }),
    from: emailAddressSchema,
    /** AUTH user name; the password is the connector's secret. */
    username: line(254).optional(),
    ca: caSchema,
    dkim: z
      .object({ domain: hostSchema, selector: line(63) })
      .strict()
      .optional(),
    /** Where signed checkpoints go when this connector anchors evidence (the compliance mailbox). */
    anchorTo: emailAddressSchema.optional(),
    timeoutSeconds: timeoutSchema.optional(),
  })
  .strict();

const webhookSettings = z
  .object({ url: httpsUrlSchema, ca: caSchema, timeoutSeconds: timeoutSchema.optional() })
  .strict();

const syslogSettings = z
  .object({
    host: hostSchema,
    port: portSchema,
    ca: caSchema,
    /** RFC 5424 APP-NAME. */
    appName: z
      .string()
      .regex(/^[!-~]{1,48}$/, 'must be 1–48 printable ASCII characters without spaces')
      .optional(),
    timeoutSeconds: timeoutSchema.optional(),
  })
  .strict();

const splunkSettings = z
  .object({
    url: httpsUrlSchema,
    ca: caSchema,
    index: line(80).optional(),
    sourcetype: line(80).optional(),
    timeoutSeconds: timeoutSchema.optional(),
  })
  .strict();

/** Slack and Teams incoming webhooks: the URL itself is the credential, so it is the secret. */
const chatSettings = z.object({ ca: caSchema, timeoutSeconds: timeoutSchema.optional() }).strict();

const jiraSettings = z
  .object({
    baseUrl: httpsUrlSchema,
    projectKey: z.string().regex(/^[A-Z][A-Z0-9_]{0,19}$/, 'must be a Jira project key such as SEC'),
    issueType: line(60).optional(),
    /** Basic-auth user (e-mail); the API token is the secret. */
    username: line(254),
    ca: caSchema,
    timeoutSeconds: timeoutSchema.optional(),
  })
  .strict();

const serviceNowSettings = z
  .object({
    instanceUrl: httpsUrlSchema,
    table: z
      .string()
      .regex(/^[a-z][a-z0-9_]{0,79}$/, 'must be a table name such as incident')
      .optional(),
    username: line(254),
    ca: caSchema,
    timeoutSeconds: timeoutSchema.optional(),
  })
  .strict();

/** An append-only file that receives signed checkpoints (an anchor outside the database). */
const witnessFileSettings = z
  .object({
    path: z
      .string()
      .min(1, 'is required')
      .max(4096)
      .refine((value) => value.startsWith('/') || /^[A-Za-z]:[\\/]/.test(value), 'must be an absolute path')
      // Only a witness file of its own: the worker never appends to a file of another purpose.
      .refine((value) => /\.jsonl$/.test(value), 'must name a .jsonl file (one JSON checkpoint per line)'),
  })
  .strict();

export const connectorSettingsSchemas = {
  smtp: smtpSettings,
  webhook: webhookSettings,
  syslog: syslogSettings,
  splunk_hec: splunkSettings,
  slack: chatSettings,
  teams: chatSettings,
  jira: jiraSettings,
  servicenow: serviceNowSettings,
  witness_file: witnessFileSettings,
} as const satisfies Record<ConnectorKind, z.ZodType>;

export type ConnectorSettings<K extends ConnectorKind = ConnectorKind> = z.infer<(typeof connectorSettingsSchemas)[K]>;

const connectorBase = {
  id: connectorIdSchema,
  name: line(80),
  enabled: z.boolean().default(true),
  /** Signed checkpoints are delivered to this connector (smtp with anchorTo, webhook, witness_file). */
  anchor: z.boolean().default(false),
  retry: retryPolicySchema.optional(),
};

const variant = <K extends ConnectorKind, S extends z.ZodType>(kind: K, settings: S) =>
  z.object({ ...connectorBase, kind: z.literal(kind), settings }).strict();

export const connectorConfigSchema = z.discriminatedUnion(
  'kind',
  [
    variant('smtp', smtpSettings),
    variant('webhook', webhookSettings),
    variant('syslog', syslogSettings),
    variant('splunk_hec', splunkSettings),
    variant('slack', chatSettings),
    variant('teams', chatSettings),
    variant('jira', jiraSettings),
    variant('servicenow', serviceNowSettings),
    variant('witness_file', witnessFileSettings),
  ],
  { error: `kind: must be one of ${connectorKinds.join(', ')}` },
);

/** A connector as stored and as saved; `settings` is validated per kind. */
export interface ConnectorConfig {
  id: string;
  name: string;
  kind: ConnectorKind;
  enabled: boolean;
  anchor: boolean;
  retry?: RetryPolicy;
  settings: Record<string, unknown>;
}

/** Which secrets each kind needs, and what the secret is, for forms and errors. */
export const connectorSecrets: Record<ConnectorKind, { slot: SecretSlot; label: string; required: boolean }[]> = {
  smtp: [
    { slot: 'credential', label: 'SMTP password', required: false },
    { slot: 'dkim', label: 'DKIM private key (PEM)', required: false },
  ],
  webhook: [{ slot: 'credential', label: 'Signing secret (whsec_…)', required: true }],
  syslog: [],
  splunk_hec: [{ slot: 'credential', label: 'HEC token', required: true }],
  slack: [{ slot: 'credential', label: 'Incoming-webhook URL', required: true }],
  teams: [{ slot: 'credential', label: 'Incoming-webhook URL', required: true }],
  jira: [{ slot: 'credential', label: 'API token', required: true }],
  servicenow: [{ slot: 'credential', label: 'Password', required: true }],
  witness_file: [],
};

export const deliveryStates = ['queued', 'sending', 'awaiting_approval', 'delivered', 'failed', 'refused'] as const;
export const deliveryStateSchema = z.enum(deliveryStates);
export type DeliveryState = z.infer<typeof deliveryStateSchema>;

export const deliveryPurposes = ['report', 'test', 'escalation', 'anchor', 'notification', 'evidence'] as const;
export const deliveryPurposeSchema = z.enum(deliveryPurposes);
export type DeliveryPurpose = z.infer<typeof deliveryPurposeSchema>;

export const deliveryAttemptSchema = z.object({
  attempt: z.number().int(),
  at: z.string(),
  outcome: z.enum(['accepted', 'failed', 'interrupted']),
  code: z.string().nullable(),
  text: z.string(),
  durationMs: z.number().int(),
  evidenceSeq: z.number().int().nullable(),
});
export type DeliveryAttemptView = z.infer<typeof deliveryAttemptSchema>;

export const deliverySchema = z.object({
  id: z.string(),
  connectorId: z.string(),
  connectorKind: connectorKindSchema,
  purpose: deliveryPurposeSchema,
  /** One line naming what is delivered, never its content. */
  subject: z.string(),
  recipients: z.array(z.string()),
  state: deliveryStateSchema,
  attempts: z.number().int(),
  maxAttempts: z.number().int(),
  nextAttemptAt: z.string().nullable(),
  createdAt: z.string(),
  finishedAt: z.string().nullable(),
  lastCode: z.string().nullable(),
  lastText: z.string().nullable(),
  approvalId: z.string().nullable(),
  escalationId: z.string().nullable(),
  idempotencyKey: z.string(),
  history: z.array(deliveryAttemptSchema),
});
export type DeliveryView = z.infer<typeof deliverySchema>;

export const connectorViewSchema = z.object({
  id: z.string(),
  name: z.string(),
  kind: connectorKindSchema,
  enabled: z.boolean(),
  anchor: z.boolean(),
  retry: retryPolicySchema,
  settings: z.record(z.string(), z.unknown()),
  /** Whether each secret is set; never the value. */
  secrets: z.array(z.object({ slot: secretSlotSchema, label: z.string(), required: z.boolean(), set: z.boolean() })),
  /** The keychain could not be asked (locked, absent): secrets are unknown and sends will fail closed. */
  keychainError: z.string().nullable(),
  updatedAt: z.string(),
  updatedBy: z.string(),
  health: z.object({
    lastAttemptAt: z.string().nullable(),
    lastOutcome: z.enum(['accepted', 'failed', 'interrupted']).nullable(),
    lastText: z.string().nullable(),
    recentFailures: z.number().int(),
    recentSuccesses: z.number().int(),
  }),
});
export type ConnectorView = z.infer<typeof connectorViewSchema>;

export const connectorTestResultSchema = z.object({
  ok: z.boolean(),
  code: z.string().nullable(),
  text: z.string(),
  durationMs: z.number().int(),
  evidenceSeq: z.number().int().nullable(),
});

const secretValueSchema = z
  .string({ error: 'is required and must be a string' })
  .min(1, 'is required')
  .max(16 * 1024, 'must be at most 16384 characters');

export const connectorOperations = {
  'connectors.list': defineOperation({
    description:
      'Connectors of this tenant with their settings, whether each secret is set (never its value) and health.',
    scope: 'tenant',
    feature: 'connectors',
    roles: connectorReaders,
    input: z.object({}).strict(),
    output: z.object({ connectors: z.array(connectorViewSchema) }),
  }),
  'connectors.save': defineOperation({
    description: 'Create or replace a connector (settings validated per kind); recorded as a config change first.',
    scope: 'tenant',
    feature: 'connectors',
    roles: connectorAdmins,
    mutates: true,
    configuration: true,
    authority: true,
    input: connectorConfigSchema,
    output: connectorViewSchema,
  }),
  'connectors.remove': defineOperation({
    description: 'Remove a connector and its secrets from the keychain; queued deliveries to it fail.',
    scope: 'tenant',
    feature: 'connectors',
    roles: connectorAdmins,
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({ id: connectorIdSchema }).strict(),
    output: z.object({ removed: z.boolean() }),
  }),
  'connectors.secret.set': defineOperation({
    description:
      'Set or replace a connector secret in the OS keychain; it is never returned, logged or stored elsewhere.',
    scope: 'tenant',
    feature: 'connectors',
    roles: connectorAdmins,
    mutates: true,
    configuration: true,
    authority: true,
    input: z
      .object({ id: connectorIdSchema, slot: secretSlotSchema.default('credential'), value: secretValueSchema })
      .strict(),
    output: connectorViewSchema,
  }),
  'connectors.secret.clear': defineOperation({
    description: 'Delete a connector secret from the OS keychain.',
    scope: 'tenant',
    feature: 'connectors',
    roles: connectorAdmins,
    mutates: true,
    configuration: true,
    authority: true,
    input: z.object({ id: connectorIdSchema, slot: secretSlotSchema.default('credential') }).strict(),
    output: connectorViewSchema,
  }),
  'connectors.test': defineOperation({
    description:
      'Send a real test message through the connector now and record the outcome (server response, duration) as evidence.',
    scope: 'tenant',
    feature: 'connectors',
    roles: connectorAdmins,
    mutates: true,
    input: z.object({ id: connectorIdSchema, to: emailAddressSchema.optional() }).strict(),
    output: connectorTestResultSchema,
  }),
  'deliveries.list': defineOperation({
    description: 'The delivery audit: outbound deliveries newest first with every attempt and the server response.',
    scope: 'tenant',
    feature: 'connectors',
    roles: connectorReaders,
    input: z
      .object({
        states: z.array(deliveryStateSchema).max(6).optional(),
        connectorId: connectorIdSchema.optional(),
        purpose: deliveryPurposeSchema.optional(),
        limit: z.number().int().min(1).max(500).optional(),
      })
      .strict(),
    output: z.object({ deliveries: z.array(deliverySchema) }),
  }),
  'deliveries.retry': defineOperation({
    description: 'Queue a failed delivery again with a fresh attempt budget (same idempotency key, so no duplicate).',
    scope: 'tenant',
    feature: 'connectors',
    roles: [...connectorAdmins, 'compliance'],
    mutates: true,
    input: z.object({ id: z.string().regex(/^dlv_[0-9a-f-]{36}$/, 'must be a delivery id (dlv_…)') }).strict(),
    output: deliverySchema,
  }),
} as const;

export const connectorEvents = {
  'deliveries.changed': defineEvent({
    description: 'A delivery was queued, attempted, delivered, failed or escalated; or a connector changed.',
    roles: connectorReaders,
    payload: z.object({ tenantId: z.string(), deliveryId: z.string().nullable() }),
  }),
} as const;
