import { createContractClient } from '../core/contract';
import type { ContractClient } from '../core/contract';
import { createCore, createInMemoryTransport } from '../core/service';
import type { CoreService } from '../core/service';
import { localEvaluationPrincipal } from '../core/identity';
import { defaultHome } from '../core/store';
import type { CliIO } from './io';

/** The CLI talks to the same core through the same contract as the console. */
export async function withCore<T>(
  io: CliIO,
  work: (client: ContractClient, core: CoreService) => Promise<T>,
): Promise<T> {
  const core = createCore({
    home: defaultHome(io.env),
    shell: 'cli',
    log: (message) => io.stderr(`cavra: ${message}\n`),
  });
  try {
    return await work(createContractClient(createInMemoryTransport(core, localEvaluationPrincipal)), core);
  } finally {
    core.close();
  }
}
