import crypto from 'node:crypto';
import { ContractError } from '../contract';
import type { Principal, Role, SignedIn, SsoConfig, TenantProfile } from '../contract';
import type { SecretStore } from '../secrets';
import type { TenantDirectory, TenantProfileRepository } from '../tenants';
import type { OidcSignIn, OidcTokens } from './oidc';
import { LOCAL_EVALUATOR_ID, currentOsUser, localEvaluator } from './principals';
import { groupsOf, rolesForGroups } from './role-mapping';

/** Where a session's tokens live: the OS keychain, under the tenant, by the session's reference. */
const TOKEN_SERVICE = 'oidc-session';
/** A local evaluation sign-in lasts a working week; an OIDC session as long as its tokens can be refreshed. */
const LOCAL_SESSION_MS = 7 * 86_400_000;

export interface IdentityDeps {
  tenants: TenantDirectory;
  profiles: TenantProfileRepository;
  secrets: SecretStore;
  oidc: OidcSignIn;
  /** Appends an evidence record to the tenant's ledger; resolves once durable. */
  record(tenant: string, type: 'login' | 'role_change', payload: Record<string, unknown>): Promise<number>;
  now?: () => Date;
}

interface SessionRow {
  principal_id: string;
  tenant_id: string;
  kind: 'human' | 'local_evaluation';
  expires_at: string;
  ended_at: string | null;
  display_name: string;
}

const digest = (sessionId: string) => crypto.createHash('sha256').update(sessionId).digest('hex');
/** The public name of a session (evidence, `principal.session`): never the bearer id itself. */
const sessionRef = (sessionId: string) => `ses_${digest(sessionId).slice(0, 24)}`;

/** A stable principal id per IdP subject: the issuer is hashed so ids stay short and path-free. */
export function humanPrincipalId(issuer: string, subject: string): string {
  return `human:${crypto.createHash('sha256').update(issuer).digest('hex').slice(0, 12)}:${subject.slice(0, 160)}`;
}

/**
 * Sign-in sessions (SPEC §7). Completing a sign-in maps the user's IdP groups to tenant roles,
 * records the login (and any role change) in the tenant's ledger first and only then applies
 * it; tokens go to the OS keychain, the registry keeps only a digest of the session id.
 */
export class IdentityService {
  private readonly now: () => Date;
  /**
   * Bearer tokens already checked, by digest, until they expire, with the groups they carry and
   * the IdP they were checked against: each use maps the groups with the tenant's role mappings
   * as they are now, so a mapping removed (through any replica) refuses a token checked before.
   */
  private readonly bearers = new Map<
    string,
    { principal: Principal; groups: string[]; issuer: string; clientId: string; expiresAt: number }
  >();

  constructor(private readonly deps: IdentityDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async sso(tenant: string): Promise<SsoConfig> {
    if (!(await this.deps.tenants.knows(tenant))) {
      throw new ContractError('not_found', `tenant: "${tenant}" has no SSO configured (or does not exist)`, 'tenant');
    }
    const profile = await this.deps.profiles.get(tenant);
    if (!profile.sso) {
      throw new ContractError('not_found', `tenant: "${tenant}" has no SSO configured (or does not exist)`, 'tenant');
    }
    return profile.sso;
  }

  async begin(tenant: string, redirectUri: string, test = false) {
    return this.deps.oidc.begin(tenant, await this.sso(tenant), redirectUri, test);
  }

  /**
   * Finishes a sign-in. A test sign-in (the SSO screen's "test sign-in") validates everything
   * and reports the groups and roles, but opens no session and changes no roles.
   */
  async complete(flowId: string, callbackUrl: string): Promise<SignedIn & { test: boolean; groups: string[] }> {
    const verified = await this.deps.oidc.complete(flowId, callbackUrl);
    const { tenant, sso, claims } = verified;
    const profile = await this.deps.profiles.get(tenant);
    const groups = groupsOf(claims, sso.groups_claim);
    const roles = rolesForGroups(groups, profile.role_mappings);
    const principal = this.humanPrincipal(sso, claims);
    if (verified.test) {
      return {
        sessionId: '',
        principal,
        tenant,
        roles,
        groups,
        test: true,
        expiresAt: new Date(verified.tokens.expiresAt).toISOString(),
      };
    }
    if (roles.length === 0) {
      await this.deps.record(tenant, 'login', {
        by: principal.id,
        outcome: 'refused',
        issuer: sso.issuer,
        groups,
        reason: 'no role mapping matches the user’s groups',
      });
      throw new ContractError(
        'forbidden',
        `Signed in as ${principal.displayName}, but none of your groups (${groups.join(', ') || 'none'}) maps to a role in "${tenant}"; ask a tenant admin to add a role mapping`,
      );
    }
    const sessionId = `sid_${crypto.randomBytes(32).toString('base64url')}`;
    const signedIn = await this.open(sessionId, principal, tenant, roles, groups, verified.tokens, sso.issuer);
    return { ...signedIn, groups, test: false };
  }

  /**
   * A step-up sign-in for an attested approval verdict (SPEC §5): a fresh authentication at the
   * tenant's IdP whose nonce the approvals capability computed. It opens no session and changes
   * no roles; `completeStepUp` returns who the IdP authenticated, the ID token and the IdP's keys.
   */
  async beginStepUp(tenant: string, redirectUri: string, nonce: string, maxAgeSeconds: number) {
    return this.deps.oidc.begin(tenant, await this.sso(tenant), redirectUri, false, { nonce, maxAgeSeconds });
  }

  async completeStepUp(flowId: string, callbackUrl: string) {
    const verified = await this.deps.oidc.complete(flowId, callbackUrl);
    const { sso, claims } = verified;
    const principal = this.humanPrincipal(sso, claims);
    const jwks = await this.deps.oidc.jwks(sso);
    // Only the ID token leaves here: the access and refresh tokens of a step-up are never kept.
    return { tenant: verified.tenant, issuer: sso.issuer, principal, claims, idToken: verified.tokens.idToken, jwks };
  }

  /**
   * The person behind an OIDC bearer token sent to `cavra server` for `tenant`: the token is
   * checked against the tenant's IdP (OidcSignIn.verifyBearer), the groups it carries are mapped
   * to roles, and a change of roles is recorded before it applies — as at an interactive sign-in.
   * The principal's session is a reference to the token (never the token).
   */
  async bearer(tenant: string, token: string): Promise<Principal> {
    // Keyed by tenant too: a token checked against one tenant's IdP proves nothing in another.
    const key = digest(`${tenant}\n${token}`);
    const cached = this.bearers.get(key);
    if (cached && cached.expiresAt > this.now().getTime()) {
      const profile = await this.deps.profiles.get(tenant);
      if (profile.sso?.issuer === cached.issuer && profile.sso.client_id === cached.clientId) {
        return this.bearerRoles(cached.principal, tenant, cached.groups, profile.role_mappings);
      }
      // The tenant's IdP changed: the token is checked again, against the IdP configured now.
      this.bearers.delete(key);
    }
    let sso: SsoConfig;
    try {
      sso = await this.sso(tenant);
    } catch {
      // An unknown tenant and one without SSO look the same from outside.
      throw new ContractError(
        'unauthenticated',
        `Tenant "${tenant}" accepts no OIDC bearer tokens (no SSO configured)`,
      );
    }
    const claims = await this.deps.oidc.verifyBearer(sso, token);
    const profile = await this.deps.profiles.get(tenant);
    const groups = groupsOf(claims, sso.groups_claim);
    const principal: Principal = {
      ...this.humanPrincipal(sso, claims),
      session: `bearer_${digest(token).slice(0, 24)}`,
      // A remote caller: no OS user the server could verify.
      osUser: null,
    };
    await this.bearerRoles(principal, tenant, groups, profile.role_mappings, true);
    if (this.bearers.size >= 1_000) this.bearers.clear();
    this.bearers.set(key, {
      principal,
      groups,
      issuer: sso.issuer,
      clientId: sso.client_id,
      expiresAt: Number(claims.exp) * 1000,
    });
    return principal;
  }

  /**
   * A bearer's groups mapped with the tenant's role mappings now: refused when none maps (the
   * roles it held are taken away, recorded first), applied when they changed since.
   */
  private async bearerRoles(
    principal: Principal,
    tenant: string,
    groups: string[],
    mappings: TenantProfile['role_mappings'],
    firstUse = false,
  ): Promise<Principal> {
    const roles = rolesForGroups(groups, mappings);
    const held = this.deps.tenants.rolesIn(principal.id, tenant);
    const same = held.length === roles.length && held.every((role) => roles.includes(role));
    if (roles.length === 0) {
      if (held.length > 0) await this.applyRoles(principal, tenant, [], groups);
      throw new ContractError(
        'forbidden',
        `${principal.displayName}: none of your groups (${groups.join(', ') || 'none'}) maps to a role in "${tenant}"; ask a tenant admin to add a role mapping`,
      );
    }
    if (firstUse || !same) await this.applyRoles(principal, tenant, roles, groups);
    return principal;
  }

  /** `cavra login --local-evaluation`, the console's "continue as local evaluator": recorded like any login. */
  async localSignIn(tenant: string): Promise<SignedIn> {
    if (!this.deps.tenants.exists(tenant) || this.deps.tenants.rolesIn(LOCAL_EVALUATOR_ID, tenant).length === 0) {
      throw new ContractError('forbidden', `The local evaluator has no access to tenant "${tenant}"`, 'tenant');
    }
    const sessionId = `sid_${crypto.randomBytes(32).toString('base64url')}`;
    const principal = localEvaluator(sessionRef(sessionId));
    const expiresAt = new Date(this.now().getTime() + LOCAL_SESSION_MS).toISOString();
    await this.deps.record(tenant, 'login', {
      by: principal.id,
      kind: 'local_evaluation',
      outcome: 'signed_in',
      session: principal.session,
      os_user: principal.osUser?.name,
    });
    await this.deps.tenants.noteMember(principal, tenant, []);
    this.insertSession(sessionId, principal.id, tenant, 'local_evaluation', expiresAt);
    return { sessionId, principal, tenant, roles: this.deps.tenants.rolesIn(principal.id, tenant), expiresAt };
  }

  /** The principal behind a stored session; an expired OIDC session is refreshed at the IdP first. */
  async resume(sessionId: string): Promise<SignedIn> {
    const row = this.sessionRow(sessionId);
    if (!row || row.ended_at !== null) {
      throw new ContractError('unauthenticated', 'This session has ended or never existed; sign in again');
    }
    const expired = Date.parse(row.expires_at) <= this.now().getTime();
    if (row.kind === 'local_evaluation') {
      if (expired)
        throw new ContractError('unauthenticated', 'The local evaluation session has expired; sign in again');
      const principal = localEvaluator(sessionRef(sessionId));
      return {
        sessionId,
        principal,
        tenant: row.tenant_id,
        roles: this.deps.tenants.rolesIn(principal.id, row.tenant_id),
        expiresAt: row.expires_at,
      };
    }
    const sso = await this.sso(row.tenant_id);
    const principal: Principal = {
      id: row.principal_id,
      displayName: row.display_name,
      kind: 'human',
      session: sessionRef(sessionId),
      osUser: currentOsUser(),
    };
    if (!expired) {
      return {
        sessionId,
        principal,
        tenant: row.tenant_id,
        roles: this.deps.tenants.rolesIn(principal.id, row.tenant_id),
        expiresAt: row.expires_at,
      };
    }
    const stored = this.tokens(row.tenant_id, sessionId);
    if (!stored?.refreshToken) {
      throw new ContractError('unauthenticated', 'The session has expired and cannot be refreshed; sign in again');
    }
    const refreshed = await this.deps.oidc.refresh(sso, stored.refreshToken);
    const refreshedPrincipal = this.humanPrincipal(sso, refreshed.claims, sessionId);
    if (refreshedPrincipal.id !== principal.id) {
      throw new ContractError('unauthenticated', 'The IdP refreshed the session for another user; sign in again');
    }
    const profile = await this.deps.profiles.get(row.tenant_id);
    const groups = groupsOf(refreshed.claims, sso.groups_claim);
    const roles = rolesForGroups(groups, profile.role_mappings);
    await this.applyRoles(principal, row.tenant_id, roles, groups);
    this.storeTokens(row.tenant_id, sessionId, refreshed.tokens);
    const expiresAt = new Date(refreshed.tokens.expiresAt).toISOString();
    this.deps.tenants
      .registryDatabase()
      .prepare(`UPDATE sessions SET expires_at = ? WHERE id_sha256 = ?`)
      .run(expiresAt, digest(sessionId));
    if (roles.length === 0)
      throw new ContractError('forbidden', 'Your groups no longer map to any role in this tenant');
    return { sessionId, principal, tenant: row.tenant_id, roles, expiresAt };
  }

  /**
   * The session's current ID token, refreshed at the IdP first when it has expired: what the
   * CLI presents as its bearer to a control plane (`cavra connect`), so enrolling a machine
   * needs no second sign-in. Only the ID token leaves; access and refresh tokens stay here.
   */
  async sessionBearer(sessionId: string): Promise<{ tenant: string; idToken: string; principal: string }> {
    const signedIn = await this.resume(sessionId);
    const stored = this.tokens(signedIn.tenant, sessionId);
    if (!stored?.idToken) {
      throw new ContractError(
        'unauthenticated',
        'This sign-in holds no IdP token (local evaluation?); sign in at the IdP',
      );
    }
    return { tenant: signedIn.tenant, idToken: stored.idToken, principal: signedIn.principal.id };
  }

  /** Ends a session: tokens deleted from the keychain, the logout recorded; returns the IdP's end-session URL. */
  async logout(sessionId: string): Promise<{ endSessionUrl: string | null }> {
    const row = this.sessionRow(sessionId);
    if (!row || row.ended_at !== null) return { endSessionUrl: null };
    await this.deps.record(row.tenant_id, 'login', {
      by: row.principal_id,
      kind: row.kind,
      outcome: 'signed_out',
      session: sessionRef(sessionId),
    });
    this.deps.tenants
      .registryDatabase()
      .prepare(`UPDATE sessions SET ended_at = ? WHERE id_sha256 = ?`)
      .run(this.now().toISOString(), digest(sessionId));
    if (row.kind !== 'human') return { endSessionUrl: null };
    const stored = this.tokens(row.tenant_id, sessionId);
    this.deps.secrets.delete({
      tenant: row.tenant_id,
      service: TOKEN_SERVICE,
      account: digest(sessionId).slice(0, 32),
    });
    if (!stored) return { endSessionUrl: null };
    const sso = await this.deps.profiles.get(row.tenant_id).then((profile) => profile.sso);
    return { endSessionUrl: sso ? await this.deps.oidc.endSessionUrl(sso, stored.idToken).catch(() => null) : null };
  }

  private async open(
    sessionId: string,
    principal: Principal,
    tenant: string,
    roles: Role[],
    groups: string[],
    tokens: OidcTokens,
    issuer: string,
  ): Promise<SignedIn> {
    const withSession: Principal = { ...principal, session: sessionRef(sessionId) };
    await this.deps.record(tenant, 'login', {
      by: principal.id,
      kind: 'human',
      outcome: 'signed_in',
      issuer,
      groups,
      roles,
      session: withSession.session,
    });
    // Tokens first: a session row whose tokens could not be stored would be a session nobody can refresh.
    this.storeTokens(tenant, sessionId, tokens);
    await this.applyRoles(principal, tenant, roles, groups);
    const expiresAt = new Date(tokens.expiresAt).toISOString();
    this.insertSession(sessionId, principal.id, tenant, 'human', expiresAt);
    return { sessionId, principal: withSession, tenant, roles, expiresAt };
  }

  /** Record, then apply: a change of a member's roles is evidence before it takes effect. */
  private async applyRoles(principal: Principal, tenant: string, roles: Role[], groups: string[]): Promise<void> {
    const before = this.deps.tenants.rolesIn(principal.id, tenant);
    const changed = before.length !== roles.length || before.some((role) => !roles.includes(role));
    if (changed) {
      await this.deps.record(tenant, 'role_change', {
        by: 'idp-group-mapping',
        principal: principal.id,
        from: before,
        to: roles,
        groups,
      });
      await this.deps.tenants.assignRoles(principal, tenant, roles);
    }
    await this.deps.tenants.noteMember(principal, tenant, groups);
  }

  private humanPrincipal(sso: SsoConfig, claims: Record<string, unknown>, sessionId?: string): Principal {
    const subject = typeof claims.sub === 'string' ? claims.sub : '';
    const name = [claims.name, claims.email, claims.preferred_username, subject].find(
      (value): value is string => typeof value === 'string' && value.trim() !== '',
    );
    return {
      id: humanPrincipalId(sso.issuer, subject),
      displayName: (name ?? subject).slice(0, 200),
      kind: 'human',
      session: sessionId ? sessionRef(sessionId) : null,
      osUser: currentOsUser(),
    };
  }

  private insertSession(sessionId: string, principalId: string, tenant: string, kind: string, expiresAt: string): void {
    this.deps.tenants
      .registryDatabase()
      .prepare(
        `INSERT INTO sessions (id_sha256, principal_id, tenant_id, kind, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(digest(sessionId), principalId, tenant, kind, this.now().toISOString(), expiresAt);
  }

  private sessionRow(sessionId: string): SessionRow | undefined {
    return this.deps.tenants
      .registryDatabase()
      .prepare(
        `SELECT s.principal_id, s.tenant_id, s.kind, s.expires_at, s.ended_at, p.display_name
         FROM sessions s JOIN principals p ON p.id = s.principal_id WHERE s.id_sha256 = ?`,
      )
      .get(digest(sessionId)) as SessionRow | undefined;
  }

  private storeTokens(tenant: string, sessionId: string, tokens: OidcTokens): void {
    this.deps.secrets.set(
      { tenant, service: TOKEN_SERVICE, account: digest(sessionId).slice(0, 32) },
      JSON.stringify(tokens),
    );
  }

  private tokens(tenant: string, sessionId: string): OidcTokens | null {
    const text = this.deps.secrets.get({ tenant, service: TOKEN_SERVICE, account: digest(sessionId).slice(0, 32) });
    return text ? (JSON.parse(text) as OidcTokens) : null;
  }
}
