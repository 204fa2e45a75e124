import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { yamlLibrary } from './yaml-library';
import { ContractError } from '../contract';
import type { Action, Decision, EnforcementMode, Principal } from '../contract';
import type { NormalizedAction } from '../normalize/types';
import type { ContainmentContext } from '../normalize';
import { type SessionDownloadRepository, SqliteSessionDownloadRepository, sessionKey } from './session-downloads';
import type { SqliteDatabase } from '../store';
import { convertCommunityPack, isCommunityFormat } from './community';
import type { ConversionNote } from './community';
import type { CompiledPack, DefaultOutcome } from './compile';
import { toDecision } from './decisions';
import { evaluate } from './evaluate';
import type { Verdict } from './evaluate';
import { formatPackError, loadPack, PackLoadError } from './load';
import type { LoadedPack, PackError } from './load';
import type { ContainmentSection } from './containment-section';
import type { ApprovalRoute } from './pack-schema';
import { engineFingerprint } from './engine-fingerprint';
import { noStoredPackTests, packTestKey } from './pack-test-results';
import type { PackTestResultRepository } from './pack-test-results';
import { runPackTests } from './pack-tests';
import type { Normalizer, PackTestReport } from './pack-tests';
import { buildIndex } from './policy-index';
import type { PolicyIndex } from './policy-index';
import { parseSigningKey, verifyPackSignature } from './signature';
import { PolicyStore, policySnapshotSchema } from './store';
import type { PolicySettings, PolicySnapshot, StoredPack, StoredSigningKey } from './store';

/**
 * The seam to the evidence ledger. `recordDecision` appends a decision before the gate
 * answers and returns its `evidence_ref`; if it throws, the action is denied (SPEC §6: no
 * record, no action). `recordEvent` records pack activations and configuration changes.
 */
export interface PolicyEvidence {
  recordDecision(tenant: string, decision: Decision, action: Action): Promise<string | null>;
  /**
   * Record, then apply (HOUSE rule 14): commits the record of a pack activation or
   * configuration change, then runs `apply`; throws without applying when it cannot record.
   */
  recordThenApply<T>(
    tenant: string,
    change: { type: 'pack_activated' | 'config_change'; payload: Record<string, unknown> },
    apply: () => T,
  ): T;
}

/** Engine tests without a ledger: decisions carry `evidence_ref: null`, changes apply unrecorded. */
const ledgerNotWired: PolicyEvidence = {
  recordDecision: async () => null,
  recordThenApply: (_tenant, _change, apply) => apply(),
};

/**
 * The tenant's MCP trust list, filled by `cavra mcp trust`: the servers trusted for this
 * call (a server trusted only for some tools is named only for those). Case-insensitive.
 */
export interface McpTrustSource {
  trustedServers(tenant: string, call: { server: string; tool: string } | null): readonly string[];
}

const noTrustedMcpServers: McpTrustSource = { trustedServers: () => [] };

export interface TenantStores {
  store(tenantId: string): SqliteDatabase;
}

export interface PolicyServiceOptions {
  tenants: TenantStores;
  /** The built-in packs directory, or null when the build ships none. */
  builtinDir: string | null;
  normalize: Normalizer;
  /** Home directory `~` in path globs stands for. */
  userHome: string;
  now?: () => Date;
  evidence?: PolicyEvidence;
  mcpTrust?: McpTrustSource;
  /** Pack test results kept between processes; none kept when absent. */
  testResults?: PackTestResultRepository;
  /** CAVRA's own data directory (as configured and resolved): actions reaching it are denied. */
  dataDirectories?: readonly string[];
  /**
   * Every action judged here is another machine's (`cavra server`): its `cwd` and paths name
   * files there, so each evaluation reads the action's text alone, as `lexical` does for one
   * call, and never this machine's file system (no glob listed, no tree walked, no link read).
   */
  actionsFromOtherMachines?: boolean;
}

export interface PackSummary {
  id: string;
  version: string;
  description: string;
  mode: EnforcementMode;
  source: 'builtin' | 'imported';
  origin: string;
  sha256: string;
  ruleCount: number;
  testCount: number;
  tests: { status: 'passed' | 'failed' | 'none'; passed: number; failed: number };
  /** Repositories it is assigned to; null stands for the whole tenant. */
  assignments: (string | null)[];
  signedBy: string | null;
  activatedAt: string;
  /** The newest candidate of this pack that was rejected while this version stayed active. */
  loadError: string | null;
}

export interface Evaluation {
  decision: Decision;
  normalized: NormalizedAction;
}

interface BuiltinCandidate {
  file: string;
  packId: string | null;
  loaded: LoadedPack | null;
  loadErrors: PackError[];
}

interface TenantState {
  db: SqliteDatabase;
  store: PolicyStore;
  sessions: SessionDownloadRepository;
  synced: boolean;
  generation: number;
  settings: PolicySettings | null;
  indexes: Map<string, { index: PolicyIndex; broken: string[] }>;
  containment: Map<string, AssignedContainment>;
}

/** The containment section of one pack assigned to a scope (core/containment compiles them). */
export interface AssignedContainment {
  packs: { id: string; version: string; section: ContainmentSection | null }[];
  /** Assigned packs that cannot be loaded: containment must not start without them. */
  broken: string[];
}

const BUILTIN_ACTOR = 'system:builtin-packs';

/** Walks up from the running code (or the working directory) to the shipped `policy-packs/`. */
export function findBuiltinPackDir(
  start: string = typeof __dirname === 'string' ? __dirname : process.cwd(),
): string | null {
  let dir = path.resolve(start);
  for (;;) {
    const candidate = path.join(dir, 'policy-packs');
    try {
      if (fs.readdirSync(candidate).some((name) => name.endsWith('.yaml'))) return candidate;
    } catch {
      // Not here; keep walking up.
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

function rejectLoad(error: unknown): never {
  if (error instanceof PackLoadError) throw new ContractError('invalid_input', error.message, 'yaml');
  throw error;
}

function failingTests(report: PackTestReport): string {
  const failures = report.results.filter((r) => !r.ok);
  const shown = failures.slice(0, 5).map((r) => `"${r.name}" (${r.message})`);
  return `${report.packId} ${report.version} fails ${failures.length} of its own tests: ${shown.join('; ')}${failures.length > 5 ? '; …' : ''}`;
}

/**
 * Pack test reports this process has run, by normalizer, pack text and home: the same tests of
 * the same text give the same result (they see an empty file system), so every PolicyService of
 * the process (a core per tenant store, tests, the CLI) shares one run.
 */
const reportsRunHere = new WeakMap<Normalizer, Map<string, PackTestReport>>();
const MAX_REPORTS_RUN_HERE = 256;

function testedInProcess(loaded: LoadedPack, options: { normalize: Normalizer; userHome: string }): PackTestReport {
  let reports = reportsRunHere.get(options.normalize);
  if (!reports) reportsRunHere.set(options.normalize, (reports = new Map()));
  const key = `${loaded.sha256}\0${options.userHome}`;
  const known = reports.get(key);
  if (known) return known;
  const report = runPackTests(loaded.compiled, options.normalize);
  if (reports.size >= MAX_REPORTS_RUN_HERE) reports.delete(reports.keys().next().value as string);
  reports.set(key, report);
  return report;
}

export class PolicyService {
  private readonly now: () => Date;
  private readonly evidence: PolicyEvidence;
  private readonly mcpTrust: McpTrustSource;
  private builtins: Map<string, BuiltinCandidate> | null = null;
  /** Loaded packs and their test reports by the SHA-256 of their text: each is parsed and tested once. */
  private readonly loadedBySha = new Map<string, LoadedPack>();
  /** `ranHere`: this process ran the tests, rather than reading a result another process stored. */
  private readonly testsBySha = new Map<string, { report: PackTestReport | null; ranHere: boolean }>();
  private readonly testResults: PackTestResultRepository;
  private readonly states = new Map<string, TenantState>();

  constructor(private readonly options: PolicyServiceOptions) {
    this.now = options.now ?? (() => new Date());
    this.evidence = options.evidence ?? ledgerNotWired;
    this.mcpTrust = options.mcpTrust ?? noTrustedMcpServers;
    this.testResults = options.testResults ?? noStoredPackTests;
  }

  // ---- built-in packs -------------------------------------------------------------

  private readBuiltins(): Map<string, BuiltinCandidate> {
    if (this.builtins) return this.builtins;
    const out = new Map<string, BuiltinCandidate>();
    const dir = this.options.builtinDir;
    const files = dir
      ? fs
          .readdirSync(dir)
          .filter((name) => name.endsWith('.yaml'))
          .sort()
      : [];
    for (const name of files) {
      const file = path.join(dir as string, name);
      const text = fs.readFileSync(file, 'utf8');
      try {
        const loaded = this.load(text, file);
        out.set(loaded.document.id, { file, packId: loaded.document.id, loaded, loadErrors: [] });
      } catch (error) {
        const loadErrors =
          error instanceof PackLoadError
            ? error.errors
            : [{ file, line: 1, column: 1, key: '', message: error instanceof Error ? error.message : String(error) }];
        // The id, read leniently, ties the rejected file to the pack whose last good version stays.
        const packId = /^id:\s*['"]?([a-z0-9][a-z0-9._-]*)/m.exec(text)?.[1] ?? null;
        out.set(packId ?? `file:${name}`, { file, packId, loaded: null, loadErrors });
      }
    }
    this.builtins = out;
    return out;
  }

  /** Why a built-in file cannot become active: it does not load, or it fails its own tests. */
  private candidateErrors(candidate: BuiltinCandidate): PackError[] {
    if (!candidate.loaded) return candidate.loadErrors;
    const tests = this.testsOf(candidate.loaded);
    if (!tests || tests.failed === 0) return [];
    return [{ file: candidate.file, line: 1, column: 1, key: 'tests', message: failingTests(tests) }];
  }

  /**
   * Re-reads the built-in packs and brings `tenant` up to date (others follow on their next
   * use). A file that became invalid or fails its tests leaves its last good version active.
   */
  reload(tenant: string): PackError[] {
    this.builtins = null;
    for (const state of this.states.values()) state.synced = false;
    this.fresh(tenant);
    return [...this.readBuiltins().values()].flatMap((candidate) => this.candidateErrors(candidate));
  }

  private load(text: string, file: string): LoadedPack {
    const sha = crypto.createHash('sha256').update(text, 'utf8').digest('hex');
    const cached = this.loadedBySha.get(sha);
    if (cached) return cached;
    const loaded = loadPack(text, file, this.options.userHome);
    this.loadedBySha.set(sha, loaded);
    return loaded;
  }

  private compiledOf(stored: StoredPack): LoadedPack {
    return this.load(stored.text, stored.origin);
  }

  /**
   * The pack's test report, reusing one stored by an earlier process for the same text and
   * judging code: for activating built-in packs and for showing test status.
   */
  private testsOf(loaded: LoadedPack): PackTestReport | null {
    const known = this.testsBySha.get(loaded.sha256);
    if (known) return known.report;
    if (!loaded.document.tests?.length) return this.testedHere(loaded);
    const key = this.testKey(loaded);
    const stored = key === null ? null : this.testResults.find(key);
    // Only a stored pass is reused: a forged or stale failure must not keep a shipped built-in
    // pack from activating, so any failure is established by running the tests here.
    if (
      stored === null ||
      stored.failed !== 0 ||
      stored.passed !== loaded.document.tests.length ||
      stored.packId !== loaded.document.id ||
      stored.version !== loaded.document.version
    )
      return this.testedHere(loaded);
    this.testsBySha.set(loaded.sha256, { report: stored, ranHere: false });
    return stored;
  }

  /**
   * The pack's test report from a run in this process, never a stored one: what decides
   * whether a pack may be assigned or imported cannot come from a file others could write.
   */
  private testedHere(loaded: LoadedPack): PackTestReport | null {
    const known = this.testsBySha.get(loaded.sha256);
    if (known?.ranHere) return known.report;
    const report = loaded.document.tests?.length ? testedInProcess(loaded, this.options) : null;
    this.testsBySha.set(loaded.sha256, { report, ranHere: true });
    const key = report === null ? null : this.testKey(loaded);
    if (report !== null && key !== null) this.testResults.save(key, report);
    return report;
  }

  private testKey(loaded: LoadedPack): string | null {
    const engine = engineFingerprint();
    return engine === null ? null : packTestKey(loaded.sha256, engine, this.options.userHome);
  }

  // ---- tenant state -----------------------------------------------------------------

  /** Brings the tenant up to date: built-in packs activated, new tenants given them, caches fresh. */
  private fresh(tenant: string): { store: PolicyStore; state: TenantState } {
    const db = this.options.tenants.store(tenant);
    let state = this.states.get(tenant);
    if (!state || state.db !== db) {
      state = {
        db,
        store: new PolicyStore(db),
        sessions: new SqliteSessionDownloadRepository(db),
        synced: false,
        generation: -1,
        settings: null,
        indexes: new Map(),
        containment: new Map(),
      };
      this.states.set(tenant, state);
    }
    const store = state.store;
    if (!state.synced) {
      this.syncBuiltins(tenant, store);
      state.synced = true;
    }
    // Another process (the console, the CLI) may have changed the tenant's policy.
    const generation = store.generation();
    if (generation !== state.generation) {
      state.indexes.clear();
      state.containment.clear();
      state.settings = null;
      state.generation = generation;
    }
    return { store, state };
  }

  private syncBuiltins(tenant: string, store: PolicyStore): void {
    const at = this.now().toISOString();
    // New versions of built-in files whose own tests pass; nothing is written when none changed.
    const incoming = [...this.readBuiltins().values()].flatMap((candidate) => {
      const loaded = candidate.loaded;
      if (!loaded) return [];
      const stored = store.pack(loaded.document.id);
      if (stored?.source === 'imported' || stored?.sha256 === loaded.sha256) return [];
      if (this.candidateErrors(candidate).length > 0) return [];
      return [{ candidate, loaded, previous: stored?.version ?? null }];
    });
    const firstUse = !store.builtinsAssigned();
    if (incoming.length === 0 && !firstUse) return;
    // Each activation is on record before it is active; a record that fails stops the sync
    // (the previous version stays active) and the caller fails closed.
    for (const { candidate, loaded, previous } of incoming) {
      this.evidence.recordThenApply(
        tenant,
        {
          type: 'pack_activated',
          payload: {
            pack_id: loaded.document.id,
            version: loaded.document.version,
            sha256: loaded.sha256,
            previous_version: previous,
            source: 'builtin',
            by: BUILTIN_ACTOR,
          },
        },
        () =>
          store.transaction(() =>
            store.savePack({
              packId: loaded.document.id,
              version: loaded.document.version,
              source: 'builtin',
              origin: path.basename(candidate.file),
              text: loaded.text,
              sha256: loaded.sha256,
              signature: null,
              signedBy: null,
              activatedAt: at,
              activatedBy: BUILTIN_ACTOR,
            }),
          ),
      );
    }
    if (firstUse) {
      const assigned = store
        .packs()
        .filter((p) => p.source === 'builtin')
        .map((p) => p.packId);
      this.evidence.recordThenApply(
        tenant,
        {
          type: 'config_change',
          payload: { change: 'policy.assign', packs: assigned, repository: null, by: BUILTIN_ACTOR },
        },
        () =>
          store.transaction(() => {
            for (const packId of assigned) store.assign(packId, null, at, BUILTIN_ACTOR);
            store.markBuiltinsAssigned(at);
          }),
      );
    }
  }

  private tenantDefault(settings: PolicySettings): DefaultOutcome {
    return {
      decision: settings.defaultDecision,
      severity: 'medium',
      reason: `No rule matched; the tenant default is ${settings.defaultDecision}`,
      approvalRoute: null,
      packId: null,
    };
  }

  private assignedIds(store: PolicyStore, repository: string | null): string[] {
    return [
      ...new Set(
        store
          .assignments()
          .filter((a) => a.repository === null || a.repository === repository)
          .map((a) => a.packId),
      ),
    ].sort();
  }

  /**
   * The containment sections of the packs assigned to the tenant and repository, in pack id
   * order, cached until the tenant's policy changes. Packs without a section are listed too
   * (with null), so the profile names every pack it was compiled from.
   */
  containmentFor(tenant: string, repository: string | null): AssignedContainment {
    const { store, state } = this.fresh(tenant);
    const key = repository ?? '';
    let entry = state.containment.get(key);
    if (!entry) {
      entry = { packs: [], broken: [] };
      for (const id of this.assignedIds(store, repository)) {
        const stored = store.pack(id);
        try {
          if (!stored) throw new Error('is assigned but not stored');
          const document = this.compiledOf(stored).document;
          entry.packs.push({ id, version: document.version, section: document.containment ?? null });
        } catch (error) {
          entry.broken.push(
            `assigned pack ${id} cannot be loaded: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
          );
        }
      }
      state.containment.set(key, entry);
    }
    return entry;
  }

  private indexFor(
    tenant: string,
    repository: string | null,
  ): { index: PolicyIndex; broken: string[]; settings: PolicySettings } {
    const { store, state } = this.fresh(tenant);
    state.settings ??= store.settings();
    const settings = state.settings;
    const key = repository ?? '';
    let entry = state.indexes.get(key);
    if (!entry) {
      const ids = this.assignedIds(store, repository);
      const packs: CompiledPack[] = [];
      const broken: string[] = [];
      for (const id of ids) {
        const stored = store.pack(id);
        try {
          if (!stored) throw new Error('is assigned but not stored');
          packs.push(this.compiledOf(stored).compiled);
        } catch (error) {
          broken.push(
            `assigned pack ${id} cannot be loaded: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`,
          );
        }
      }
      entry = { index: buildIndex(packs, this.tenantDefault(settings)), broken };
      state.indexes.set(key, entry);
    }
    return { ...entry, settings };
  }

  // ---- evaluation -------------------------------------------------------------------

  private normalize(action: Action, containment: ContainmentContext | undefined, lexical: boolean): NormalizedAction {
    try {
      const dataDirectories = this.options.dataDirectories ?? [];
      const options = {
        ...(dataDirectories.length > 0 ? { dataDirectories } : {}),
        ...(containment ? { containment } : {}),
        ...(lexical ? { fs: null } : {}),
      };
      return this.options.normalize(action, Object.keys(options).length > 0 ? options : undefined);
    } catch (error) {
      return {
        type: action.type,
        action,
        workspace: action.cwd ?? null,
        target:
          action.command ?? action.path ?? action.git?.args.join(' ') ?? `${action.mcp?.server}/${action.mcp?.tool}`,
        commands: [],
        paths: [],
        git: [],
        mcp: null,
        problems: [
          {
            code: 'unsupported',
            message: `normalization failed: ${error instanceof Error ? error.message : String(error)}`,
          },
        ],
      };
    }
  }

  /**
   * Judges an action for a tenant. Records nothing: the caller decides whether it is evidence.
   * A dry run (`policy.simulate`) still sees what the agent session downloaded before, but what
   * it would download is not remembered: a simulated action did not happen. `contained`: the
   * action will run inside the tenant's sandbox (said by the gate that grants it, never by the
   * action), so `~` is the sandbox's home and rules bounded by the sandbox decide as they say.
   */
  evaluate(
    tenant: string,
    action: Action,
    options: {
      dryRun?: boolean;
      contained?: ContainmentContext;
      /**
       * Judge from the action's text alone, never this machine's file system: the action's `cwd`
       * and paths are another machine's (the control plane judging a connected gate's request).
       */
      lexical?: boolean;
    } = {},
  ): Evaluation {
    const { index, broken, settings } = this.indexFor(tenant, action.repository ?? null);
    const lexical = this.options.actionsFromOtherMachines === true || options.lexical === true;
    const normalized = this.normalize(action, options.contained, lexical);
    this.rememberDownloads(tenant, action, normalized, options.dryRun === true);
    // Only MCP calls ask for the trust list (a store query in the MCP registry).
    const trusted = normalized.mcp
      ? new Set(this.mcpTrust.trustedServers(tenant, normalized.mcp).map((s) => s.toLowerCase()))
      : undefined;
    const verdict: Verdict = evaluate(index, normalized, { trustedMcpServers: trusted });
    if (broken.length > 0) {
      verdict.floors.push(...broken);
      if (verdict.decision === 'allow' || verdict.decision === 'warn') {
        verdict.decision = 'require_approval';
        verdict.basis = 'normalization';
        verdict.winner = null;
        verdict.reason = `Part of the policy could not be loaded: ${broken.join('; ')}`;
      }
    }
    const decision = toDecision(verdict, normalized, {
      tenant,
      tenantMode: settings.mode,
      now: this.now(),
      correlationId: action.correlation_id,
    });
    return { decision, normalized };
  }

  /**
   * Download-then-run across the actions of one agent session: a run of something the session
   * downloaded earlier cannot be allowed; what this action downloads is remembered.
   */
  private rememberDownloads(tenant: string, action: Action, normalized: NormalizedAction, dryRun: boolean): void {
    const session = sessionKey(action.agent);
    if (session === null || (!normalized.runs && !normalized.fetched)) return;
    const memory = (this.states.get(tenant) as TenantState).sessions;
    for (const ran of memory.downloadedAmong(session, normalized.runs ?? []))
      normalized.problems.push({
        code: 'unsupported',
        message: `runs ${ran}, which this agent session downloaded from the network earlier`,
      });
    if (normalized.fetched && !dryRun) memory.remember(session, normalized.fetched, this.now());
  }

  /** Evaluates and appends the decision to the ledger; a failed append denies (no record, no action). */
  async evaluateAndRecord(tenant: string, action: Action): Promise<Decision> {
    const { decision } = this.evaluate(tenant, action);
    try {
      decision.evidence_ref = await this.evidence.recordDecision(tenant, decision, action);
      return decision;
    } catch (error) {
      const reason = `The decision could not be recorded as evidence, so the action is denied: ${error instanceof Error ? error.message : String(error)}`;
      return {
        ...decision,
        decision: 'deny',
        would_be: 'deny',
        approval: undefined,
        explanation: { ...decision.explanation, summary: `${reason}. ${decision.explanation.summary}` },
      };
    }
  }

  // ---- packs ------------------------------------------------------------------------

  private summary(stored: StoredPack, store: PolicyStore): PackSummary {
    let loaded: LoadedPack | null = null;
    let tests: PackTestReport | null = null;
    let loadError: string | null = null;
    try {
      loaded = this.compiledOf(stored);
      tests = this.testsOf(loaded);
    } catch (error) {
      loadError = error instanceof Error ? error.message : String(error);
    }
    // A built-in file that differs from the active version and was rejected.
    const candidate = stored.source === 'builtin' ? this.readBuiltins().get(stored.packId) : undefined;
    const candidateErrors =
      candidate && candidate.loaded?.sha256 !== stored.sha256 ? this.candidateErrors(candidate) : [];
    if (candidateErrors.length > 0) loadError = candidateErrors.map(formatPackError).join('\n');
    return {
      id: stored.packId,
      version: stored.version,
      description: loaded?.document.description ?? '',
      mode: loaded?.document.mode ?? 'enforce',
      source: stored.source,
      origin: stored.origin,
      sha256: stored.sha256,
      ruleCount: loaded?.document.rules.length ?? 0,
      testCount: loaded?.document.tests?.length ?? 0,
      tests: tests
        ? { status: tests.failed > 0 ? 'failed' : 'passed', passed: tests.passed, failed: tests.failed }
        : { status: 'none', passed: 0, failed: 0 },
      assignments: store
        .assignments()
        .filter((a) => a.packId === stored.packId)
        .map((a) => a.repository),
      signedBy: stored.signedBy,
      activatedAt: stored.activatedAt,
      loadError,
    };
  }

  /** Ids of the built-in packs every tenant starts with (onboarding checks pack names against them). */
  builtinPackIds(): string[] {
    return [...this.readBuiltins().keys()];
  }

  listPacks(tenant: string): { packs: PackSummary[]; rejected: string[] } {
    const { store } = this.fresh(tenant);
    const storedPacks = store.packs();
    const packs = storedPacks.map((stored) => this.summary(stored, store));
    const known = new Set(storedPacks.map((p) => p.packId));
    // Built-in files that never produced a good version: nothing is active for them.
    const rejected = [...this.readBuiltins().entries()]
      .filter(([id]) => !known.has(id))
      .flatMap(([, candidate]) => this.candidateErrors(candidate).map(formatPackError));
    return { packs, rejected };
  }

  pack(tenant: string, packId: string): { summary: PackSummary; loaded: LoadedPack; signature: string | null } {
    const { store } = this.fresh(tenant);
    const stored = store.pack(packId);
    if (!stored) throw new ContractError('not_found', `pack_id: no pack "${packId}" in this tenant`, 'pack_id');
    return { summary: this.summary(stored, store), loaded: this.compiledOf(stored), signature: stored.signature };
  }

  testPack(tenant: string, packId: string): PackTestReport {
    const { loaded } = this.pack(tenant, packId);
    return this.testedHere(loaded) ?? { packId, version: loaded.document.version, passed: 0, failed: 0, results: [] };
  }

  /**
   * Brings the tenant's policy up to date now (built-in packs activated, their tests run or
   * reused, the tenant-wide index built), so that the first action judged is not kept waiting.
   */
  prepare(tenant: string): void {
    this.indexFor(tenant, null);
  }

  assign(tenant: string, packId: string, repository: string | null, principal: Principal): boolean {
    const { store } = this.fresh(tenant);
    const stored = store.pack(packId);
    if (!stored) throw new ContractError('not_found', `pack_id: no pack "${packId}" in this tenant`, 'pack_id');
    let tests: PackTestReport | null;
    try {
      tests = this.testedHere(this.compiledOf(stored));
    } catch (error) {
      throw new ContractError(
        'conflict',
        `pack_id: ${packId} cannot be loaded: ${error instanceof Error ? error.message : String(error)}`,
        'pack_id',
      );
    }
    if (tests && tests.failed > 0)
      throw new ContractError('conflict', `pack_id: ${failingTests(tests)}; fix them before assigning`, 'pack_id');
    if (store.assignments().some((a) => a.packId === packId && a.repository === repository)) return false;
    return this.evidence.recordThenApply(
      tenant,
      { type: 'config_change', payload: { change: 'policy.assign', packs: [packId], repository, by: principal.id } },
      () => store.transaction(() => store.assign(packId, repository, this.now().toISOString(), principal.id)),
    );
  }

  unassign(tenant: string, packId: string, repository: string | null, principal: Principal): boolean {
    const { store } = this.fresh(tenant);
    if (!store.assignments().some((a) => a.packId === packId && a.repository === repository)) {
      throw new ContractError(
        'not_found',
        `pack_id: ${packId} is not assigned to ${repository === null ? 'the whole tenant' : `repository ${repository}`}`,
        'pack_id',
      );
    }
    return this.evidence.recordThenApply(
      tenant,
      { type: 'config_change', payload: { change: 'policy.unassign', packs: [packId], repository, by: principal.id } },
      () => store.transaction(() => store.unassign(packId, repository)),
    );
  }

  /**
   * Imports a native or Community-Edition pack into the tenant. A pack that fails to
   * load, fails its own tests or lacks a required signature is rejected and the version
   * already active (if any) stays.
   */
  importPack(
    tenant: string,
    text: string,
    signature: string | null,
    principal: Principal,
  ): { summary: PackSummary; unconverted: ConversionNote[]; notes: ConversionNote[]; replaced: string | null } {
    const { store } = this.fresh(tenant);
    const settings = store.settings();
    let signedBy: string | null = null;
    if (signature !== null || settings.requireSignedPacks) {
      if (signature === null)
        throw new ContractError('invalid_input', 'signature: this tenant requires signed packs', 'signature');
      const check = verifyPackSignature(text, signature, store.signingKeys());
      if (!check.ok) throw new ContractError('invalid_input', `signature: ${check.reason}`, 'signature');
      signedBy = check.keyId;
    }
    let nativeText = text;
    let unconverted: ConversionNote[] = [];
    let notes: ConversionNote[] = [];
    let raw: unknown = null;
    try {
      raw = yamlLibrary().parse(text, { maxAliasCount: 100 });
    } catch {
      // loadPack reports the syntax error with its position.
    }
    if (isCommunityFormat(raw)) ({ yaml: nativeText, unconverted, notes } = convertCommunityPack(text));
    let loaded: LoadedPack;
    try {
      loaded = this.load(nativeText, 'import');
    } catch (error) {
      rejectLoad(error);
    }
    const id = loaded.document.id;
    if (this.readBuiltins().has(id)) {
      throw new ContractError('conflict', `id: "${id}" is the id of a built-in pack; give the pack its own id`, 'id');
    }
    const tests = this.testedHere(loaded);
    if (tests && tests.failed > 0) throw new ContractError('conflict', `tests: ${failingTests(tests)}`, 'tests');
    const previous = store.pack(id);
    const at = this.now().toISOString();
    this.evidence.recordThenApply(
      tenant,
      {
        type: 'pack_activated',
        payload: {
          pack_id: id,
          version: loaded.document.version,
          sha256: loaded.sha256,
          previous_version: previous?.version ?? null,
          source: 'imported',
          signed_by: signedBy,
          by: principal.id,
        },
      },
      () =>
        store.transaction(() =>
          store.savePack({
            packId: id,
            version: loaded.document.version,
            source: 'imported',
            origin: `import:${id}.yaml`,
            text: nativeText,
            sha256: loaded.sha256,
            signature,
            signedBy,
            activatedAt: at,
            activatedBy: principal.id,
          }),
        ),
    );
    return {
      summary: this.summary(store.pack(id) as StoredPack, store),
      unconverted,
      notes,
      replaced: previous?.version ?? null,
    };
  }

  /** The route a Decision's `approval.route` (`pack-id/route`) names, for the approvals service. */
  approvalRoute(tenant: string, qualified: string): ApprovalRoute | null {
    const slash = qualified.indexOf('/');
    if (slash === -1) return null;
    const { store } = this.fresh(tenant);
    const stored = store.pack(qualified.slice(0, slash));
    if (!stored) return null;
    return this.compiledOf(stored).document.approval_routes?.[qualified.slice(slash + 1)] ?? null;
  }

  /** The version of a pack active in the tenant now, or null (a change invalidates pending approvals). */
  activeVersion(tenant: string, packId: string): string | null {
    return this.fresh(tenant).store.pack(packId)?.version ?? null;
  }

  /** The tenant's policy rows (cavra server keeps them in the shared store). */
  snapshot(tenant: string): PolicySnapshot {
    return this.fresh(tenant).store.snapshot();
  }

  /**
   * Replaces the tenant's policy rows with the shared store's (validated here: the rows come
   * from outside this process); caches notice the new generation.
   */
  replaceWith(tenant: string, body: unknown): void {
    const snapshot = policySnapshotSchema.parse(body);
    const state = this.states.get(tenant);
    new PolicyStore(this.options.tenants.store(tenant)).replace(snapshot);
    // Built-ins are part of the snapshot; the next use compares them with this build's files again.
    if (state) state.synced = false;
  }

  // ---- settings ---------------------------------------------------------------------

  settings(tenant: string): PolicySettings & { signingKeys: StoredSigningKey[] } {
    const { store } = this.fresh(tenant);
    return { ...store.settings(), signingKeys: store.signingKeys() };
  }

  updateSettings(
    tenant: string,
    patch: Partial<PolicySettings> & { signingKeys?: StoredSigningKey[] },
    principal: Principal,
  ): PolicySettings & { signingKeys: StoredSigningKey[] } {
    const { store } = this.fresh(tenant);
    patch.signingKeys?.forEach((key, i) => {
      try {
        parseSigningKey(key.publicKey);
      } catch (error) {
        const field = `signing_keys.${i}.public_key`;
        throw new ContractError(
          'invalid_input',
          `${field}: ${error instanceof Error ? error.message : String(error)}`,
          field,
        );
      }
    });
    const before = store.settings();
    const next: PolicySettings = {
      mode: patch.mode ?? before.mode,
      defaultDecision: patch.defaultDecision ?? before.defaultDecision,
      requireSignedPacks: patch.requireSignedPacks ?? before.requireSignedPacks,
    };
    const at = this.now().toISOString();
    this.evidence.recordThenApply(
      tenant,
      {
        type: 'config_change',
        payload: {
          change: 'policy.settings',
          before,
          after: next,
          signing_keys: patch.signingKeys?.map((k) => k.id),
          by: principal.id,
        },
      },
      () =>
        store.transaction(() => {
          store.saveSettings(next);
          if (patch.signingKeys) store.replaceSigningKeys(patch.signingKeys, at, principal.id);
        }),
    );
    return this.settings(tenant);
  }
}
