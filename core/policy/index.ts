// The policy engine (SPEC §3): packs, their compiled index, evaluation and decisions.
export { PolicyService, findBuiltinPackDir, ledgerNotWired, noTrustedMcpServers } from './service';
export type {
  Evaluation,
  McpTrustSource,
  PackSummary,
  PolicyEvidence,
  PolicyServiceOptions,
  TenantStores,
} from './service';
export { loadPack, formatPackError, PackLoadError } from './load';
export type { LoadedPack, PackError } from './load';
export { packJsonSchema } from './pack-schema';
export type { ApprovalRoute, PackDocument, RuleDocument } from './pack-schema';
export { runPackTests, PACK_TEST_WORKSPACE } from './pack-tests';
export type { Normalizer, PackTestReport, PackTestResult } from './pack-tests';
export { convertCommunityPack, isCommunityFormat } from './community';
export type { CommunityConversion, ConversionNote } from './community';
export { verifyPackSignature } from './signature';
export { buildIndex } from './policy-index';
export type { PolicyIndex } from './policy-index';
export { evaluate } from './evaluate';
export type { Verdict, RuleMatch } from './evaluate';
export { toDecision } from './decisions';
export { ruleSubject } from './compile';
export type { CompiledPack, DefaultOutcome, SubjectKind } from './compile';
