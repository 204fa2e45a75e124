import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { CloseoutResult, ContractClient, Job, PacketExportResult, ReadinessReport } from '../../core/contract';
import { closeoutDecisionSchema, gateKindSchema } from '../../core/contract';
import { verifyPacket } from '../../core/readiness';
import type { PacketVerification } from '../../core/readiness';
import type { CliIO, Command } from '../io';
import { UsageError, jsonText } from '../io';
import { withTenant } from '../session';

/** Exit 2: the gate is red / the packet is not ready / verification failed. */
const EXIT_NOT_READY = 2;

/** Waits for a job of this process's core, printing its phase to stderr as it changes. */
async function awaitJob<T>(io: CliIO, client: ContractClient, tenant: string, jobId: string): Promise<T> {
  let phase = '';
  for (;;) {
    const job: Job = await client.call('jobs.get', { jobId }, { tenant });
    if (job.progress.phase !== phase && job.state === 'running') {
      phase = job.progress.phase;
      io.stderr(`  ${phase}…\n`);
    }
    if (job.state === 'succeeded') return job.result as T;
    if (job.state !== 'running') {
      throw new Error(job.error?.message ?? `the job ended ${job.state}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

const mark = { pass: 'PASS   ', warn: 'WARN   ', blocker: 'BLOCKER' } as const;

function describeReport(report: ReadinessReport): string {
  const lines = [
    `${report.gate === 'pilot' ? 'Pilot' : 'Production'} gate for tenant ${report.tenant}: ${report.rating.toUpperCase()}` +
      (report.gate === 'production' ? ` — ready_for_aispm_production: ${report.readyForAispmProduction}` : ''),
  ];
  if (report.scope && Object.keys(report.scope).length > 0) lines.push(`Scope: ${JSON.stringify(report.scope)}`);
  for (const v of report.validators) {
    lines.push(`  ${mark[v.status]} ${v.label} [record ${v.record}]`, `          ${v.message}`);
  }
  if (report.blockers.length > 0) {
    lines.push(`${report.blockers.length} blockers (prerequisites):`);
    for (const b of report.blockers) lines.push(`  - ${b.validator}: ${b.message}`);
  }
  return `${lines.join('\n')}\n`;
}

export const readinessRun: Command = {
  name: 'readiness run',
  summary: 'Run the pilot or production gate now; each validator result is recorded as evidence (exit 2 when red)',
  usage:
    'cavra readiness run [--gate pilot|production] [--repository R] [--connector C] [--recipients a@x,@domain] [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        gate: { type: 'string' },
        repository: { type: 'string' },
        connector: { type: 'string' },
        recipients: { type: 'string' },
        tenant: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
    const gate = gateKindSchema.safeParse(values.gate ?? 'production');
    if (!gate.success) throw new UsageError('--gate takes pilot or production');
    const scoped = values.repository !== undefined || values.connector !== undefined || values.recipients !== undefined;
    if (scoped && gate.data !== 'pilot')
      throw new UsageError('--repository, --connector and --recipients scope the pilot gate');
    const scope = scoped
      ? {
          ...(values.repository ? { repository: values.repository } : {}),
          ...(values.connector ? { connector: values.connector } : {}),
          ...(values.recipients ? { recipients: values.recipients.split(',').map((r) => r.trim()) } : {}),
        }
      : undefined;
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { jobId } = await client.call('readiness.run', { gate: gate.data, scope }, { tenant });
      const report = await awaitJob<ReadinessReport>(io, client, tenant, jobId);
      io.stdout(values.json ? jsonText(report) : describeReport(report));
      return report.rating === 'red' ? EXIT_NOT_READY : 0;
    });
  },
};

export const packetExport: Command = {
  name: 'packet export',
  summary:
    'Run the production gate and export the signed readiness packet with its evidence bundle to the tenant archive (exit 2 when not ready)',
  usage: 'cavra packet export [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { tenant: { type: 'string' }, json: { type: 'boolean' } },
      strict: true,
    });
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { jobId } = await client.call('readiness.packet.export', {}, { tenant });
      const result = await awaitJob<PacketExportResult>(io, client, tenant, jobId);
      if (values.json) io.stdout(jsonText(result));
      else {
        const lines = [
          `Readiness packet: ${result.dir}`,
          `ready_for_aispm_production: ${result.readyForAispmProduction}`,
          ...(result.blockers.length > 0
            ? [
                `Blockers (${result.blockers.length}):`,
                ...result.blockers.map((b) => `  - ${b.validator}: ${b.message}`),
              ]
            : ['No blockers.']),
          `Verify it offline with: cavra packet verify ${result.dir} --trusted-key <file with the tenant key>`,
        ];
        io.stdout(`${lines.join('\n')}\n`);
      }
      return result.readyForAispmProduction ? 0 : EXIT_NOT_READY;
    });
  },
};

export const packetCloseout: Command = {
  name: 'packet closeout',
  summary:
    "Close the trial (step 9): record the pilot decision, the evaluator's feedback, package access and the license's fate, and export the signed closeout packet",
  usage:
    'cavra packet closeout --decision proceed|extend|stop --feedback TEXT (--package-access-removed TEXT | --package-access-kept TEXT) [--surrender-license] [--tenant T] [--json]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        decision: { type: 'string' },
        feedback: { type: 'string' },
        'package-access-removed': { type: 'string' },
        'package-access-kept': { type: 'string' },
        'surrender-license': { type: 'boolean' },
        tenant: { type: 'string' },
        json: { type: 'boolean' },
      },
      strict: true,
    });
    const decision = closeoutDecisionSchema.safeParse(values.decision);
    if (!decision.success) throw new UsageError('--decision takes proceed, extend or stop');
    if (!values.feedback) throw new UsageError("--feedback is required: the evaluator's feedback on the trial");
    const removed = values['package-access-removed'];
    const kept = values['package-access-kept'];
    if ((removed === undefined) === (kept === undefined)) {
      throw new UsageError(
        'give exactly one of --package-access-removed "what was removed" or --package-access-kept "why access stays"',
      );
    }
    const input = {
      pilotDecision: decision.data,
      feedback: values.feedback,
      packageAccess: { removed: removed !== undefined, detail: (removed ?? kept) as string },
      license: values['surrender-license'] ? ('surrender' as const) : ('let_expire' as const),
    };
    return withTenant(io, values.tenant, async (client, tenant) => {
      const { jobId } = await client.call('trial.closeout', input, { tenant });
      const result = await awaitJob<CloseoutResult>(io, client, tenant, jobId);
      if (values.json) io.stdout(jsonText(result));
      else {
        const lines = [
          `Closeout packet: ${result.dir}`,
          `pilot decision: ${result.pilotDecision}`,
          `license: ${result.license.outcome} (entitlement now ${result.license.status})`,
          `ready_for_aispm_production at closeout: ${result.readyForAispmProduction}`,
          ...(result.blockers.length > 0
            ? [
                `Remaining blockers (${result.blockers.length}):`,
                ...result.blockers.map((b) => `  - ${b.validator}: ${b.message}`),
              ]
            : ['No remaining blockers.']),
          `Verify it offline with: cavra packet verify ${result.dir} --trusted-key <file with the tenant key>`,
        ];
        io.stdout(`${lines.join('\n')}\n`);
      }
      return 0;
    });
  },
};

function describeVerification(v: PacketVerification): string {
  if (!v.ok) return `VERIFICATION FAILED for ${v.dir}\n  ${v.failure}\n`;
  const c = v.closeout;
  const lines = [
    `Verified ${v.kind === 'closeout' ? 'trial closeout' : 'readiness'} packet ${v.dir}`,
    `  tenant                      ${v.tenant}`,
    ...(c
      ? [
          `  closed                      ${c.closedAt} by ${c.by}`,
          `  pilot decision              ${c.pilotDecision}`,
          `  license                     ${c.license.licenseId ?? 'none'}: ${c.license.outcome} (${c.license.status}${c.license.expiresAt ? `, expires ${c.license.expiresAt}` : ''})`,
          `  package access              ${c.packageAccess.removed ? 'removed' : 'kept'}: ${c.packageAccess.detail}`,
          `  feedback                    ${c.feedback}`,
        ]
      : []),
    `  ready_for_aispm_production  ${v.readyForAispmProduction}`,
    `  validators                  ${v.validators.map((x) => `${x.id}=${x.status}`).join(', ')}`,
    ...v.checked.map((what, i) => `  ${i === 0 ? 'checked' : '       '}                     ${what}`),
    v.key?.pinned
      ? `  key                         ${v.key.keyId} (pinned with --trusted-key)`
      : `  key                         ${v.key?.keyId} from the bundle itself — NOT pinned: pass --trusted-key`,
    ...v.blockers.map((b) => `  blocker: ${b.validator}: ${b.message}`),
    ...v.warnings.map((w) => `  warning: ${w}`),
  ];
  return `${lines.join('\n')}\n`;
}

export const packetVerify: Command = {
  name: 'packet verify',
  summary:
    'Verify a readiness or trial closeout packet directory offline (no network, no tenant data); exit 2 when it fails',
  usage: 'cavra packet verify DIR [--trusted-key FILE] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { 'trusted-key': { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length !== 1) throw new UsageError('give exactly one packet directory');
    let trustedKey: string | undefined;
    if (values['trusted-key'] !== undefined) {
      try {
        trustedKey = fs.readFileSync(path.resolve(io.cwd, values['trusted-key']), 'utf8');
      } catch {
        throw new UsageError(`--trusted-key: cannot read ${values['trusted-key']}`);
      }
    }
    const result = await verifyPacket(path.resolve(io.cwd, positionals[0] as string), { trustedKey });
    io.stdout(values.json ? jsonText(result) : describeVerification(result));
    return result.ok ? 0 : EXIT_NOT_READY;
  },
};
