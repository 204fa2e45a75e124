import path from 'node:path';
import { parseArgs } from 'node:util';
import { createCore } from '../../core/service';
import { localEvaluationPrincipal } from '../../core/identity';
import { defaultHome } from '../../core/store';
import { startBrowserHost } from '../browser-host';
import type { Command } from '../io';
import { UsageError } from '../io';

/** Where the built browser-mode renderer sits relative to the bundled CLI (dist/cli). */
const staticDir = () => path.resolve(__dirname, '..', 'renderer-bridge');

export const consoleCommand: Command = {
  name: 'console',
  summary: 'Run the console in browser mode on 127.0.0.1 (for machines without the Electron binary)',
  usage: 'cavra console [--port N]',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { port: { type: 'string' } }, strict: true });
    const port = values.port === undefined ? 0 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0–65535');
    const core = createCore({ home: defaultHome(io.env), shell: 'browser', log: (m) => io.stderr(`cavra: ${m}\n`) });
    const host = await startBrowserHost({ core, principal: localEvaluationPrincipal, staticDir: staticDir(), port });
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
    core.close();
    io.stdout('Console stopped.\n');
    return 0;
  },
};
