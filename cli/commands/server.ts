import { parseArgs } from 'node:util';
import {
  ServerConfigError,
  databaseConfig,
  jsonLineLog,
  signingKeyConfig,
  startControlPlane,
  tlsFiles,
} from '../../core/server';
import type { ServerTls } from '../../core/server';
import { defaultHome } from '../../core/store';
import type { Command } from '../io';
import { UsageError } from '../io';

export const serverCommand: Command = {
  name: 'server',
  summary:
    'Run the control plane: the contract over HTTPS for many machines, on PostgreSQL (CAVRA_DATABASE_URL[_FILE])',
  usage: 'cavra server (--tls-cert FILE --tls-key FILE | --insecure-loopback) [--host ADDR] [--port N]',
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: {
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        // Plain HTTP on 127.0.0.1 only: tests and a developer's machine, never a deployment.
        'insecure-loopback': { type: 'boolean' },
        host: { type: 'string' },
        port: { type: 'string' },
      },
      strict: true,
    });
    const port = values.port === undefined ? 8443 : Number(values.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError('--port must be 0–65535');
    const certFile = values['tls-cert'] ?? io.env.CAVRA_TLS_CERT_FILE;
    const keyFile = values['tls-key'] ?? io.env.CAVRA_TLS_KEY_FILE;
    const log = jsonLineLog(io.stdout);
    let tls: ServerTls;
    if (values['insecure-loopback']) {
      if (certFile || keyFile) throw new UsageError('--insecure-loopback serves plain HTTP; give it no certificate');
      if (values.host !== undefined && values.host !== '127.0.0.1' && values.host !== '::1') {
        throw new UsageError('--insecure-loopback binds 127.0.0.1 (or ::1) only');
      }
      tls = 'insecure-loopback';
    } else {
      if (!certFile || !keyFile) {
        throw new UsageError(
          'cavra server needs TLS: --tls-cert and --tls-key (or CAVRA_TLS_CERT_FILE and CAVRA_TLS_KEY_FILE); ' +
            '--insecure-loopback serves plain HTTP on 127.0.0.1 for tests only',
        );
      }
      tls = tlsFiles(certFile, keyFile);
    }
    let plane;
    try {
      plane = await startControlPlane({
        home: defaultHome(io.env),
        database: databaseConfig(io.env),
        signingKey: signingKeyConfig(io.env),
        tls,
        host: values.host,
        port,
        log,
      });
    } catch (error) {
      if (error instanceof ServerConfigError) {
        io.stderr(`cavra server: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
    log({ level: 'info', msg: 'listening', url: plane.url, pid: process.pid });
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    log({ level: 'info', msg: 'stopping: finishing requests in flight' });
    await plane.close();
    log({ level: 'info', msg: 'stopped' });
    return 0;
  },
};
