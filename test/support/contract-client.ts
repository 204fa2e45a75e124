import { createContractClient } from '../../core/contract';
import type { ContractClient, DeliveryView } from '../../core/contract';
import { localEvaluationPrincipal } from '../../core/identity';
import { createCore, createInMemoryTransport } from '../../core/service';
import type { CoreOptions, CoreService } from '../../core/service';

/** A core on `home` with an in-memory client for the local evaluator (as the CLI uses it). */
export function coreClient(
  home: string,
  options: Partial<CoreOptions> = {},
): { core: CoreService; client: ContractClient } {
  const core = createCore({ home, shell: 'test', log: () => undefined, ...options });
  return { core, client: createContractClient(createInMemoryTransport(core, localEvaluationPrincipal)) };
}

export async function waitFor<T>(probe: () => Promise<T | null | undefined | false>, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Waits until the delivery reaches `state` and returns it. */
export function deliveryIn(
  client: ContractClient,
  tenant: string,
  id: string,
  state: DeliveryView['state'],
  ms?: number,
): Promise<DeliveryView> {
  return waitFor(async () => {
    const { deliveries } = await client.call('deliveries.list', { limit: 500 }, { tenant });
    const found = deliveries.find((d) => d.id === id);
    return found?.state === state ? found : null;
  }, ms);
}
