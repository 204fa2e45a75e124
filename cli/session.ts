import { createContractClient } from '../core/contract';
import type { ContractClient } from '../core/contract';
import { createCore, createInMemoryTransport } from '../core/service';
import type { CoreOptions, CoreService } from '../core/service';
import { defaultHome } from '../core/store';
import type { CliIO } from './io';
import { UsageError } from './io';
import { cliPrincipal } from './sign-in';

/**
 * The CLI talks to the same core through the same contract as the console, as the principal
 * of its sign-in (`cavra login`), or unsigned, which reads but changes nothing.
 */
export async function withCore<T>(
  io: CliIO,
  work: (client: ContractClient, core: CoreService) => Promise<T>,
  options: Pick<CoreOptions, 'deliveries'> = {},
  tenant?: string,
): Promise<T> {
  const home = defaultHome(io.env);
  const core = createCore({ home, shell: 'cli', log: (message) => io.stderr(`cavra: ${message}\n`), ...options });
  try {
    const principal = await cliPrincipal(core, home, tenant, (message) => io.stderr(`cavra: ${message}\n`));
    return await work(createContractClient(createInMemoryTransport(core, principal)), core);
  } finally {
    await core.close();
  }
}

/** The named tenant, or the install's default. */
export async function tenantOf(client: ContractClient, named: string | undefined): Promise<string> {
  if (named !== undefined) return named;
  const info = await client.call('system.info', {});
  if (!info.defaultTenant) throw new UsageError('no default tenant: give --tenant');
  return info.defaultTenant;
}

/** withCore for a command about one tenant: the one given with --tenant, or the install's default. */
export async function withTenant<T>(
  io: CliIO,
  named: string | undefined,
  work: (client: ContractClient, tenant: string) => Promise<T>,
  options: Pick<CoreOptions, 'deliveries'> = {},
): Promise<T> {
  return withCore(io, async (client) => work(client, await tenantOf(client, named)), options, named);
}
