import type { Principal, Transport } from '../contract';
import type { CoreService } from './core';

/**
 * The in-process transport (tests, the CLI): the same envelopes as IPC and the bridge,
 * including a JSON round trip so nothing passes that a real transport would not carry.
 */
export function createInMemoryTransport(core: CoreService, principal: Principal): Transport {
  const roundTrip = <T>(value: T): T => JSON.parse(JSON.stringify(value)) as T;
  return {
    send: async (request) => roundTrip(await core.invoke(principal, roundTrip(request))),
    subscribe: (listener) => core.subscribe(principal, (event) => listener(roundTrip(event))),
  };
}
