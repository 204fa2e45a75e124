import fs from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import {
  closeoutDecisionSchema,
  connectorIdSchema,
  issueInWords,
  operatingContactSchema,
  reportRecipientSchema,
  requiredTrialRoles,
  roleMappingSchema,
  ssoConfigSchema,
} from '../../core/contract';

/**
 * The headless trial's configuration (`cavra trial run --config trial.yaml`): where the
 * license is, the IdP and the four people who sign in there, the SMTP server reports go
 * through, and the evaluation boundary. Secrets are never in the file: the SMTP password is
 * read from the environment variable the file names.
 */
const text = (max: number) => z.string().trim().min(1).max(max);
const fileRef = text(4096);

const signInUserSchema = z
  .object({
    /** The user name typed at the IdP. */
    login: text(256),
  })
  .strict();

const idpSchema = ssoConfigSchema
  .extend({
    /** Group → roles, as in the onboarding file; the four trial roles must each be granted. */
    role_mappings: z.array(roleMappingSchema).min(1).max(100),
    /** One IdP user per trial role. */
    users: z
      .object({
        evaluator: signInUserSchema,
        security_reviewer: signInUserSchema,
        operator: signInUserSchema,
        report_recipient: signInUserSchema,
      })
      .strict(),
    /**
     * A headless browser: run with CAVRA_SIGN_IN_URL (the IdP authorization URL) and
     * CAVRA_SIGN_IN_USER (the login) in its environment; it signs in and follows the redirect
     * to the loopback callback. Without it the URL is printed for a person to open.
     */
    sign_in_command: z.array(text(4096)).min(1).max(50).optional(),
  })
  .strict();

const smtpSchema = z
  .object({
    host: text(253),
    port: z.number().int().min(1).max(65535),
    security: z.enum(['starttls', 'tls']).default('starttls'),
    from: text(254),
    username: text(254).optional(),
    /** The environment variable holding the SMTP password (never the password itself). */
    password_env: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, 'must be an environment variable name such as CAVRA_SMTP_PASSWORD')
      .optional(),
    /** A PEM file with the CA that signed the server's certificate (a private relay). */
    ca_file: fileRef.optional(),
    timeout_seconds: z.number().int().min(1).max(120).optional(),
  })
  .strict();

export const trialConfigSchema = z
  .object({
    /** The signed license file from the vendor (a demo license in demo builds). */
    license: fileRef,
    /** An optional signed revocation list to import with it. */
    revocations: fileRef.optional(),
    /** Omitted: everyone acts as the local evaluation identity, which production never accepts. */
    idp: idpSchema.optional(),
    smtp: smtpSchema,
    connector_id: connectorIdSchema.default('trial-mail'),
    /** Report recipients (the report-recipient group); the executive report goes to them. */
    report_recipients: z.array(reportRecipientSchema).min(1).max(50),
    contacts: z.array(operatingContactSchema).max(50).default([]),
    /** The evaluation boundary: the repository the pack is attached to. */
    repository: text(200).default('payments-service'),
    pack: text(128).default('cavra-baseline'),
    workflow: z
      .object({
        /**
         * `governed`: the scripted session through the real adapters (trial step 4).
         * `simulated`: the same actions judged by `policy.evaluate` only — for showing that
         * simulated traffic does not count; readiness says so.
         */
        mode: z.enum(['governed', 'simulated']).default('governed'),
        /** How long the approval step waits for the security reviewer. */
        approval_wait_seconds: z.number().int().min(5).max(3600).default(60),
      })
      .strict()
      .default({ mode: 'governed', approval_wait_seconds: 60 }),
    /** Step 9, signed by the evaluator's side; omitted: the trial is left open (step 9 incomplete). */
    closeout: z
      .object({
        pilot_decision: closeoutDecisionSchema,
        feedback: text(4000),
        package_access: z.object({ removed: z.boolean(), detail: text(1000) }).strict(),
        /** `surrender` gives the license up now; `let_expire` keeps it to its expiry. */
        license: z.enum(['surrender', 'let_expire']).default('let_expire'),
      })
      .strict()
      .optional(),
  })
  .strict()
  .superRefine((config, ctx) => {
    if (!config.idp) return;
    const granted = new Set(config.idp.role_mappings.flatMap((m) => m.roles));
    for (const role of requiredTrialRoles) {
      if (!granted.has(role)) {
        ctx.addIssue({
          code: 'custom',
          path: ['idp', 'role_mappings'],
          message: `must grant the ${role} role to a group`,
        });
      }
    }
  });
export type TrialConfig = z.infer<typeof trialConfigSchema>;

export class TrialConfigError extends Error {
  constructor(
    readonly file: string,
    readonly issues: { field: string; message: string }[],
  ) {
    super(`${file}: ${issues.map((i) => `${i.field}: ${i.message}`).join('; ')}`);
    this.name = 'TrialConfigError';
  }
}

export interface LoadedTrialConfig {
  config: TrialConfig;
  /** Files named in the config, resolved against its directory and read. */
  licenseText: string;
  revocationsText: string | null;
  caText: string | null;
  smtpPassword: string | null;
}

/** Reads and checks the file; every mistake at once, each naming its field. */
export function loadTrialConfig(file: string, env: NodeJS.ProcessEnv): LoadedTrialConfig {
  let source: string;
  try {
    source = fs.readFileSync(file, 'utf8');
  } catch {
    throw new TrialConfigError(file, [{ field: '--config', message: `cannot read ${file}` }]);
  }
  const document = YAML.parseDocument(source, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) {
    throw new TrialConfigError(
      file,
      document.errors.map((error) => ({ field: '(file)', message: error.message.split('\n')[0] ?? 'is not YAML' })),
    );
  }
  const parsed = trialConfigSchema.safeParse(document.toJS(), { error: issueInWords });
  if (!parsed.success) {
    throw new TrialConfigError(
      file,
      parsed.error.issues.map((issue) => ({ field: issue.path.join('.') || '(file)', message: issue.message })),
    );
  }
  const config = parsed.data;
  const issues: { field: string; message: string }[] = [];
  const dir = path.dirname(file);
  const read = (field: string, ref: string | undefined): string | null => {
    if (ref === undefined) return null;
    try {
      return fs.readFileSync(path.resolve(dir, ref), 'utf8');
    } catch {
      issues.push({ field, message: `cannot read ${path.resolve(dir, ref)}` });
      return null;
    }
  };
  const licenseText = read('license', config.license);
  const revocationsText = read('revocations', config.revocations);
  const caText = read('smtp.ca_file', config.smtp.ca_file);
  let smtpPassword: string | null = null;
  if (config.smtp.password_env !== undefined) {
    smtpPassword = env[config.smtp.password_env] ?? null;
    if (!smtpPassword) {
      issues.push({
        field: 'smtp.password_env',
        message: `the environment variable ${config.smtp.password_env} is not set`,
      });
    }
  } else if (config.smtp.username !== undefined) {
    issues.push({
      field: 'smtp.password_env',
      message: 'is required with smtp.username (name the variable holding the password)',
    });
  }
  if (issues.length > 0) throw new TrialConfigError(file, issues);
  return { config, licenseText: licenseText as string, revocationsText, caText, smtpPassword };
}
