export { ReadinessService } from './service';
export type { ReadinessServiceOptions, RunControl } from './service';
export { readinessHandlers } from './handlers';
export { TrialService } from './trial';
export type { TrialServiceOptions } from './trial';
export type { StartJob } from './handlers';
export { PACKET_FILES, PACKET_PREDICATE_TYPE, derivedReady, verifyPacket } from './packet';
export type { PacketPredicate, PacketVerification } from './packet';
export { GATE_ADAPTERS, validators } from './validators';
