// The policy engine (SPEC §3): packs, their compiled index, evaluation and decisions.
export { PolicyService, findBuiltinPackDir } from './service';
// The seams other capabilities fill: the evidence ledger and the MCP trust registry.
export type {
  AssignedContainment,
  McpTrustSource,
  PolicyEvidence,
  PolicyServiceOptions,
  TenantStores,
} from './service';
export type { PolicySnapshot } from './store';
export { loadPack, formatPackError, PackLoadError } from './load';
export type { LoadedPack } from './load';
export { packJsonSchema } from './pack-schema';
export type { RuleDocument } from './pack-schema';
export { runPackTests } from './pack-tests';
export { FilePackTestResults, packTestResultsPath } from './pack-test-results';
export type { PackTestResultRepository } from './pack-test-results';
export { convertCommunityPack, isCommunityFormat } from './community';
export { verifyPackSignature } from './signature';
export { buildIndex } from './policy-index';
export type { PolicyIndex } from './policy-index';
export { evaluate } from './evaluate';
export { toDecision } from './decisions';
export { conditionKeys, ruleSubject } from './compile';
export type { DefaultOutcome } from './compile';
// The pack's containment section and the globs it is written in, for core/containment.
export type { ContainmentSection } from './containment-section';
export { compilePathGlob, wordGlobSource } from './glob';
