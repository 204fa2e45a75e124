import { parseArgs } from 'node:util';
import { DEFAULT_APPROVAL_WAIT_MS, DEFAULT_HTTP_PORT, startGate } from '../../core/gate';
import { gateLocation } from '../../core/gate/client';
import { createCore } from '../../core/service';
import { defaultHome } from '../../core/store';
import type { Command } from '../io';
import { UsageError } from '../io';

export const gateServe: Command = {
  name: 'gate serve',
  summary:
    'Run the runtime gate headless: local socket and loopback HTTP endpoint for the adapters, and the outbox delivery worker',
  usage: 'cavra gate serve [--http-port N | --no-http] [--approval-wait SECONDS]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        'http-port': { type: 'string' },
        'no-http': { type: 'boolean' },
        'approval-wait': { type: 'string' },
      },
      allowPositionals: false,
      strict: true,
    });
    if (positionals.length > 0) throw new UsageError(`unexpected ${positionals.join(' ')}`);
    if (values['no-http'] && values['http-port'] !== undefined)
      throw new UsageError('--http-port and --no-http conflict');
    const port = values['http-port'] === undefined ? DEFAULT_HTTP_PORT : Number(values['http-port']);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--http-port must be 0–65535');
    const waitS =
      values['approval-wait'] === undefined ? DEFAULT_APPROVAL_WAIT_MS / 1000 : Number(values['approval-wait']);
    if (!Number.isFinite(waitS) || waitS < 0 || waitS > 86_400) {
      throw new UsageError('--approval-wait must be 0–86400 seconds');
    }
    const log = (message: string) => io.stderr(`cavra gate: ${message}\n`);
    const core = createCore({ home: defaultHome(io.env), shell: 'cli', log, deliveries: { run: true } });
    let gate;
    try {
      gate = await startGate({
        host: core.gateHost,
        httpPort: values['no-http'] ? false : port,
        approvalWaitMs: Math.round(waitS * 1000),
        log,
      });
    } catch (error) {
      await core.close();
      throw error;
    }
    io.stdout(
      [
        'CAVRA gate listening',
        `  Data directory: ${core.home}`,
        `  Socket: ${gate.socketPath}`,
        `  HTTP: ${gate.httpUrl ?? 'off'}`,
        ...(gate.claudeCodeHookUrl ? [`  Claude Code http hook: ${gate.claudeCodeHookUrl}`] : []),
        `  Token: ${gateLocation(core.home).token} (user-only; never printed)`,
        `  Approval wait: ${gate.approvalWaitMs / 1000} s`,
        '  Press Ctrl+C to stop; adapters deny while the gate is down.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await gate.close();
    await core.close();
    io.stdout('CAVRA gate stopped.\n');
    return 0;
  },
};
