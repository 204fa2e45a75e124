import type { CoverageCellState, Facts, FindingLink, FindingState, TrendPointState } from './projection';

/** What AISPM keeps of one tenant: the projection as of `cursor`, and a version for compare-and-set. */
export interface StoredProjection {
  version: number;
  cursor: number;
  facts: Facts;
  findings: FindingState[];
  cells: CoverageCellState[];
}

/** One atomic step of the consumer: what changed, and the cursor it reached. */
export interface ProjectionCommit {
  /** The version the changes were computed from; the commit fails if another writer moved it. */
  expectedVersion: number;
  cursor: number;
  facts: Facts;
  findings: FindingState[];
  cells: CoverageCellState[];
  links: FindingLink[];
  trend: TrendPointState[];
}

export interface StoredPacket {
  sha256: string;
  kind: string;
  generatedAt: string;
  json: string;
}

/**
 * AISPM's storage, per tenant (HOUSE rule 15: async, so a PostgreSQL adapter can follow).
 * `commit` is all or nothing and compares-and-sets the version, so two processes consuming
 * one ledger never apply a record twice: the loser reloads and carries on from the winner's
 * cursor. Links are keyed (finding, seq), so a replayed commit cannot duplicate evidence.
 */
export interface AispmRepository {
  load(): Promise<StoredProjection | null>;
  /** Resolves with the new version, or null when `expectedVersion` is no longer current. */
  commit(commit: ProjectionCommit): Promise<number | null>;
  /** The version now, cheaply: whether someone else committed since `load`. */
  version(): Promise<number>;
  /** Records linked to a finding, newest first; `before` pages to older ones. */
  links(findingId: string, page: { before?: number; limit: number }): Promise<{ seqs: number[]; next: number | null }>;
  trend(fromMs: number): Promise<TrendPointState[]>;
  savePacket(packet: StoredPacket): Promise<void>;
  packet(sha256: string): Promise<StoredPacket | null>;
  close(): Promise<void>;
}
