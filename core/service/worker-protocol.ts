import type { EventEnvelope, Principal, ResponseEnvelope } from '../contract';
import type { ShellKind } from './types';

/** Messages between a shell and the core running in its worker thread. */
export type ToCoreWorker =
  | { type: 'invoke'; id: number; principal: Principal | null; request: unknown }
  | { type: 'subscribe'; subscription: number; principal: Principal }
  | { type: 'unsubscribe'; subscription: number }
  | { type: 'close' };

export type FromCoreWorker =
  | { type: 'ready'; home: string; version: string }
  | { type: 'result'; id: number; envelope: ResponseEnvelope }
  | { type: 'event'; subscription: number; event: EventEnvelope }
  | { type: 'log'; message: string }
  | { type: 'fatal'; message: string }
  | { type: 'closed' };

export interface CoreWorkerData {
  home: string;
  shell: ShellKind;
  /** Host the runtime gate in this thread, beside the core (one ledger writer). */
  gate: { httpPort?: number | false } | null;
}
