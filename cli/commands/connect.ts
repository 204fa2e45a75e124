import crypto from 'node:crypto';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { ServerUrlError, parseServerUrl } from '../../core/connect';
import { createCore } from '../../core/service';
import { defaultHome } from '../../core/store';
import type { CliIO, Command } from '../io';
import { UsageError, jsonText } from '../io';
import { readSessions, rememberSession } from '../sign-in';
import { oidcLogin } from './login';

/** A PEM file holding at least one CA certificate; anything else is refused before any connection. */
function readCa(file: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca: cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const certificate = new crypto.X509Certificate(text);
    if (!certificate.ca) throw new UsageError(`--ca: ${file} is not a CA certificate (basicConstraints CA:FALSE)`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(`--ca: ${file} is not a PEM certificate`);
  }
  return text;
}

function coreFor(io: CliIO) {
  const home = defaultHome(io.env);
  return createCore({ home, shell: 'cli', log: (message) => io.stderr(`cavra: ${message}\n`) });
}

export const connectCommand: Command = {
  name: 'connect',
  summary: "Join this machine to a control plane (cavra server) for a tenant, or show the connection's status",
  usage:
    'cavra connect https://SERVER --tenant T [--ca CA.pem] [--name NAME] [--no-browser] | cavra connect --status [--tenant T] [--json]',
  async run(args, io) {
    const { values, positionals } = parseArgs({
      args,
      options: {
        tenant: { type: 'string' },
        ca: { type: 'string' },
        name: { type: 'string' },
        status: { type: 'boolean' },
        json: { type: 'boolean' },
        'no-browser': { type: 'boolean' },
      },
      allowPositionals: true,
      strict: true,
    });
    const core = coreFor(io);
    try {
      if (values.status) {
        if (positionals.length > 0) throw new UsageError('--status takes no server address');
        const tenants = values.tenant ? [values.tenant] : core.controlPlane.tenants();
        const statuses = [];
        for (const tenant of tenants) {
          const status = await core.controlPlane.status(tenant);
          statuses.push(status ?? { tenant, connected: false });
        }
        if (values.json) {
          io.stdout(jsonText(statuses));
        } else if (statuses.length === 0) {
          io.stdout('Not connected to a control plane (standalone).\n');
        } else {
          for (const status of statuses) {
            if (!('connection' in status)) {
              io.stdout(`${status.tenant}: not connected (standalone)\n`);
              continue;
            }
            const { connection } = status;
            io.stdout(
              [
                `${connection.tenant}: connected to ${connection.server} as ${connection.machineId} (${connection.machineName})`,
                `  Enrolled ${connection.enrolledAt} by ${connection.enrolledBy}`,
                `  TLS: ${connection.ca ? 'pinned private CA' : 'system trust store'}`,
                `  Credential in the OS keychain: ${status.credentialInKeychain ? 'yes' : 'NO — disconnect and connect again'}`,
                status.reachable
                  ? `  Server: reachable; role ${status.machine.role}; evidence received through local record ${status.machine.ingestedThrough ?? 'none yet'}`
                  : `  Server: UNREACHABLE (${status.why}); the gate decides locally and denies what needs approval`,
                '',
              ].join('\n'),
            );
          }
        }
        return statuses.some((status) => 'connection' in status && !status.reachable) ? 1 : 0;
      }
      const [server, ...rest] = positionals;
      if (!server || rest.length > 0)
        throw new UsageError('give exactly one control-plane address, e.g. https://cavra.example.com');
      if (!values.tenant) throw new UsageError('--tenant is required: the tenant this machine joins');
      try {
        parseServerUrl(server);
      } catch (error) {
        if (error instanceof ServerUrlError) throw new UsageError(error.message);
        throw error;
      }
      const ca = values.ca ? readCa(values.ca) : null;
      const home = core.home;
      // The operator's sign-in at the tenant's IdP is the enrolment's bearer: the stored one, or a sign-in now.
      let sessionId = readSessions(home).sessions[values.tenant];
      if (!sessionId) {
        io.stderr(`cavra: sign in to ${values.tenant} to enrol this machine\n`);
        const signedIn = await oidcLogin(core, values.tenant, io, !values['no-browser']);
        rememberSession(home, signedIn.tenant, signedIn.sessionId);
        sessionId = signedIn.sessionId;
      }
      const connection = await core.controlPlane.connect({
        server,
        tenant: values.tenant,
        sessionId,
        ca,
        ...(values.name ? { name: values.name } : {}),
      });
      if (values.json) io.stdout(jsonText(connection));
      else
        io.stdout(
          [
            `Connected ${connection.machineName} to ${connection.server} for tenant ${connection.tenant} as ${connection.machineId}.`,
            '  The machine credential is in the OS keychain; restart the gate (cavra gate serve) to use connected mode.',
            '',
          ].join('\n'),
        );
      return 0;
    } finally {
      await core.close();
    }
  },
};

export const disconnectCommand: Command = {
  name: 'disconnect',
  summary: 'Leave the control plane for a tenant: the server revokes the machine credential, the keychain forgets it',
  usage: 'cavra disconnect --tenant T',
  async run(args, io) {
    const { values } = parseArgs({ args, options: { tenant: { type: 'string' } }, strict: true });
    if (!values.tenant) throw new UsageError('--tenant is required');
    const core = coreFor(io);
    try {
      const result = await core.controlPlane.disconnect(values.tenant);
      if (!result) {
        io.stdout(`Not connected for tenant ${values.tenant}.\n`);
        return 0;
      }
      io.stdout(
        result.revoked
          ? `Disconnected from ${result.connection.server}; the server revoked ${result.connection.machineId}.\n`
          : `Disconnected locally, but the server could not revoke ${result.connection.machineId} (${result.why}); ask a tenant admin to revoke it there.\n`,
      );
      return result.revoked ? 0 : 1;
    } finally {
      await core.close();
    }
  },
};
