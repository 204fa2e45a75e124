import { ContractError } from './errors';
import { eventEnvelopeSchema, responseEnvelopeSchema } from './envelope';
import type { EventEnvelope, RequestEnvelope } from './envelope';
import { isOperationName, eventNames } from './names';
import type { EventName, OperationName } from './names';
import { events, operations } from './operations';
import type { OperationInput, OperationOutput } from './operations';

/** The raw carrier under a client: Electron IPC, the browser bridge or an in-memory call. */
export interface Transport {
  send(request: RequestEnvelope): Promise<unknown>;
  subscribe(listener: (event: unknown) => void): () => void;
}

export interface CallOptions {
  tenant?: string | null;
}

export interface ContractClient {
  call<K extends OperationName>(op: K, input: OperationInput<K>, options?: CallOptions): Promise<OperationOutput<K>>;
  subscribe(listener: (event: EventEnvelope) => void): () => void;
}

/**
 * One client for every transport: checks the operation name, unwraps the response
 * envelope into a value or a ContractError, and validates the result against the contract.
 */
export function createContractClient(transport: Transport): ContractClient {
  return {
    async call(op, input, options) {
      if (!isOperationName(op)) throw new ContractError('invalid_input', `Unknown operation "${String(op)}"`, 'op');
      const raw = await transport.send({ op, tenant: options?.tenant ?? null, input });
      const envelope = responseEnvelopeSchema.safeParse(raw);
      if (!envelope.success) throw new ContractError('internal', `Malformed response to ${op}`);
      if (!envelope.data.ok) {
        const { code, message, field, issues } = envelope.data.error;
        throw new ContractError(code, message, field, issues);
      }
      const value = operations[op].output.safeParse(envelope.data.value);
      if (!value.success) throw new ContractError('internal', `Response to ${op} does not match the contract`);
      return value.data as OperationOutput<typeof op>;
    },
    subscribe(listener) {
      return transport.subscribe((raw) => {
        const parsed = eventEnvelopeSchema.safeParse(raw);
        if (!parsed.success || !(eventNames as readonly string[]).includes(parsed.data.event)) return;
        const event = parsed.data.event as EventName;
        const payload = events[event].payload.safeParse(parsed.data.payload);
        if (!payload.success) return;
        listener({ event, tenant: parsed.data.tenant, payload: payload.data });
      });
    },
  };
}
