export { Ledger } from './ledger';
export { LedgerAppendError, LedgerInputError, LedgerSigningError } from './errors';
export type {
  AppendInput,
  AppendReceipt,
  CheckpointInfo,
  CheckpointPolicy,
  LedgerEntry,
  LedgerKeys,
  LedgerOptions,
  LedgerPage,
  LedgerProgress,
  LedgerQuery,
  LedgerRecordDetail,
  LedgerRecordSummary,
  LedgerStatus,
  LedgerVerification,
  PruneResult,
  Retention,
  SigningState,
} from './ledger';
export { EvidenceLedgers } from './ledgers';
export type { EvidenceLedgersOptions, LedgerHost } from './ledgers';
export { canonicalize } from './canonical-json';
export { readPayload, recordTypeNames } from './record-types';
export type {
  AppendableRecordType,
  ContainmentPayload,
  DeliveryPayload,
  PayloadReading,
  RecordType,
  ValidatorResultPayload,
} from './record-types';
export { generateSigningKey, signerFromPrivateKey } from './signing';
export type { EvidenceSigner } from './signing';
export { ledgerEvidence } from './decision-evidence';
export { recordThenApply } from './record-then-apply';
export type { ChangeLedger } from './record-then-apply';
export { decisionRecord } from './decision-record';
export type { DecisionSource } from './decision-record';
export type { DecisionEvidence } from './decision-evidence';
export { verifyBundle } from './bundle-verify';
export type { BundleFailure, BundleVerification, VerifyOptions } from './bundle-verify';
export type { ExportOptions, ExportResult, RangeBound } from './bundle-export';
export { EnvelopeError, IN_TOTO_PAYLOAD_TYPE, openEnvelope, signEnvelope } from './dsse';
export type { DsseEnvelope } from './dsse';
export { keyIdOf } from './signing';
export { parsePublicKeyText } from './signing';
export { BUNDLE_FILES, STATEMENT_TYPE } from './bundle-format';
export { WitnessError, appendWitness, checkpointAnchor, readWitness, witnessLineSchema } from './witness';
export type { WitnessLine } from './witness';
export { HIGH_WATER_FILE } from './ledger';
export { SharedLedger } from './shared-ledger';
export type { SharedAppendReceipt, SharedCheckpoint, SharedLedgerVerification } from './shared-ledger';
export { exportSharedLedger } from './shared-export';
