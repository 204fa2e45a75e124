import path from 'node:path';
import { parseArgs } from 'node:util';
import { startCoreWorker } from '../../core/service';
import { defaultHome } from '../../core/store';
import { startBrowserHost } from '../browser-host';
import { DEFAULT_HTTP_PORT } from '../../core/gate';
import type { Command } from '../io';
import { UsageError } from '../io';

/** The built browser-mode renderer and core worker sit beside the bundled CLI (dist/cli). */
const dist = () => path.resolve(__dirname, '..');

export const consoleCommand: Command = {
  name: 'console',
  summary: 'Run the console in browser mode on 127.0.0.1 (for machines without the Electron binary)',
  usage: 'cavra console [--port N] [--gate-http-port N | --no-gate] [--local-evaluation]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        port: { type: 'string' },
        'gate-http-port': { type: 'string' },
        'no-gate': { type: 'boolean' },
        // Signed in as the labelled local evaluator from the start (a recorded login); otherwise the page signs in.
        'local-evaluation': { type: 'boolean' },
      },
      strict: true,
    });
    const portOption = (name: string, value: string | undefined, fallback: number) => {
      const port = value === undefined ? fallback : Number(value);
      if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--${name} must be 0–65535`);
      return port;
    };
    const port = portOption('port', values.port, 0);
    const gateHttpPort = portOption('gate-http-port', values['gate-http-port'], DEFAULT_HTTP_PORT);
    const core = await startCoreWorker({
      entry: path.join(dist(), 'core', 'core-worker.cjs'),
      home: defaultHome(io.env),
      shell: 'browser',
      gate: values['no-gate'] ? null : { httpPort: gateHttpPort },
      log: (message) => io.stderr(`cavra: ${message}\n`),
    });
    const host = await startBrowserHost({
      core,
      ...(values['local-evaluation'] ? { signIn: 'local_evaluation' as const } : {}),
      staticDir: path.join(dist(), 'renderer-bridge'),
      port,
    });
    io.stdout(
      [
        'CAVRA Enterprise console (browser mode)',
        `  Data directory: ${core.home}`,
        `  Open: ${host.openUrl}`,
        '  The link carries a one-run access token; keep it private. Press Ctrl+C to stop.',
        '',
      ].join('\n'),
    );
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await host.close();
    await core.close();
    io.stdout('Console stopped.\n');
    return 0;
  },
};
