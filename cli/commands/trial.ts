import path from 'node:path';
import { parseArgs } from 'node:util';
import { defaultHome } from '../../core/store';
import type { Command } from '../io';
import { UsageError, jsonText } from '../io';
import { TrialConfigError, loadTrialConfig } from '../trial/config';
import { TrialStepError, runTrial } from '../trial/run';

/** Exit 2: the trial ran and the packet is not ready (or a step could not complete). */
const EXIT_NOT_READY = 2;

export const trialRun: Command = {
  name: 'trial run',
  summary:
    'Run the whole guided trial headless (CI, air-gapped demos): tenant, license, SSO sign-in of the four roles, SMTP connector and report, the governed workflow, validators and the signed packet (exit 0 only when ready)',
  usage: 'cavra trial run --config trial.yaml [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: { config: { type: 'string' }, json: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    if (!values.config) throw new UsageError('--config is required');
    let loaded;
    try {
      loaded = loadTrialConfig(path.resolve(io.cwd, values.config), io.env);
    } catch (error) {
      if (!(error instanceof TrialConfigError)) throw error;
      io.stderr(`${values.config}: ${error.issues.length} mistake(s); nothing was run:\n`);
      for (const issue of error.issues) io.stderr(`  ${issue.field}: ${issue.message}\n`);
      return 1;
    }
    let outcome;
    try {
      outcome = await runTrial(loaded, io, defaultHome(io.env));
    } catch (error) {
      if (!(error instanceof TrialStepError)) throw error;
      io.stderr(`cavra trial run stopped at ${error.message}\n`);
      return EXIT_NOT_READY;
    }
    if (values.json) {
      io.stdout(jsonText(outcome));
    } else {
      const lines = [
        ...outcome.steps.map((s) => `  ${s.state === 'complete' ? '[x]' : '[ ]'} ${s.n}. ${s.title}`),
        `Readiness packet: ${outcome.packetDir ?? 'not exported'}`,
        ...(outcome.closeoutDir ? [`Closeout packet: ${outcome.closeoutDir}`] : []),
        `ready_for_aispm_production: ${outcome.ready}`,
        ...(outcome.blockers.length > 0
          ? [
              `Blockers (${outcome.blockers.length}):`,
              ...outcome.blockers.map((b) => `  - ${b.validator}: ${b.message}`),
            ]
          : ['No blockers.']),
      ];
      io.stdout(`${lines.join('\n')}\n`);
    }
    return outcome.ready ? 0 : EXIT_NOT_READY;
  },
};
