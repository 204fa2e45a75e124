import crypto from 'node:crypto';
import type * as Jose from 'jose';
import type * as Oidc from 'openid-client';
import { ContractError } from '../contract';
import type { SsoConfig } from '../contract';
import { idTokenAlgorithms } from './algorithms';

/** A sign-in started and not yet finished: it lives in memory only, for a few minutes. */
interface Flow {
  tenant: string;
  sso: SsoConfig;
  redirectUri: string;
  codeVerifier: string;
  state: string;
  nonce: string;
  startedAt: number;
  test: boolean;
  /** A step-up sign-in for an attested approval verdict: fresh authentication required. */
  maxAgeSeconds?: number;
}

export interface OidcTokens {
  idToken: string;
  accessToken: string;
  refreshToken: string | null;
  /** When the ID token expires (epoch ms). */
  expiresAt: number;
}

export interface VerifiedSignIn {
  tenant: string;
  sso: SsoConfig;
  test: boolean;
  /** The validated ID token claims. */
  claims: Record<string, unknown>;
  tokens: OidcTokens;
}

export interface OidcOptions {
  now?: () => Date;
  /** Wraps the HTTP calls to the IdP (tests use it to play a network attacker between us and the IdP). */
  fetch?: Oidc.CustomFetch;
}

/** A flow not finished within this long is forgotten: its state and verifier cannot be used any more. */
const FLOW_TTL_MS = 10 * 60_000;
const MAX_FLOWS = 100;
const DISCOVERY_TTL_MS = 5 * 60_000;

function loopback(issuer: string): boolean {
  const host = new URL(issuer).hostname;
  return host === '127.0.0.1' || host === 'localhost' || host === '[::1]';
}

/**
 * OpenID Connect for a native app (RFC 8252) with openid-client: authorization code with PKCE
 * (S256), state and nonce, and the ID token validated in full — issuer, audience, expiry,
 * nonce, and its JWS signature against the IdP's JWKS (openid-client's non-repudiation check;
 * the library alone would trust the token endpoint's TLS for that).
 */
/**
 * openid-client and jose, loaded on the first sign-in or token check: every `cavra` process
 * opens the core, and most (`cavra evaluate`, the gate's hooks) never sign anyone in.
 */
let libraries: Promise<{ oidc: typeof Oidc; jose: typeof Jose }> | null = null;
function oidcLibraries(): Promise<{ oidc: typeof Oidc; jose: typeof Jose }> {
  libraries ??= Promise.all([import('openid-client'), import('jose')]).then(([oidc, jose]) => ({ oidc, jose }));
  return libraries;
}

export class OidcSignIn {
  private readonly flows = new Map<string, Flow>();
  private readonly configs = new Map<string, { config: Promise<Oidc.Configuration>; at: number }>();
  /** The IdPs' key sets by jwks_uri: jose refetches on an unknown kid (key rotation), rate-limited. */
  private readonly keySets = new Map<string, ReturnType<typeof Jose.createRemoteJWKSet>>();
  private readonly now: () => Date;

  constructor(private readonly options: OidcOptions = {}) {
    this.now = options.now ?? (() => new Date());
  }

  async begin(
    tenant: string,
    sso: SsoConfig,
    redirectUri: string,
    test = false,
    /**
     * A step-up (approval attestation): the nonce is the caller's commitment, and the IdP must
     * authenticate the person again (prompt=login) within `maxAgeSeconds`.
     */
    stepUp?: { nonce: string; maxAgeSeconds: number },
  ): Promise<{ flowId: string; authorizationUrl: string }> {
    this.forgetStale();
    if (this.flows.size >= MAX_FLOWS) {
      throw new ContractError('unavailable', 'Too many sign-ins in progress; finish or wait for one to expire');
    }
    const config = await this.configuration(sso);
    const { oidc } = await oidcLibraries();
    const codeVerifier = oidc.randomPKCECodeVerifier();
    const flow: Flow = {
      tenant,
      sso,
      redirectUri,
      codeVerifier,
      state: oidc.randomState(),
      nonce: stepUp?.nonce ?? oidc.randomNonce(),
      startedAt: this.now().getTime(),
      test,
      ...(stepUp ? { maxAgeSeconds: stepUp.maxAgeSeconds } : {}),
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      response_type: 'code',
      scope: [...new Set(['openid', ...sso.scopes])].join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
      state: flow.state,
      nonce: flow.nonce,
      ...(test || stepUp ? { prompt: 'login' } : {}),
      ...(stepUp ? { max_age: String(stepUp.maxAgeSeconds) } : {}),
    });
    const flowId = `flow_${crypto.randomBytes(16).toString('hex')}`;
    this.flows.set(flowId, flow);
    return { flowId, authorizationUrl: url.href };
  }

  /** The redirect the IdP sent back, checked and exchanged; each flow can be completed once. */
  async complete(flowId: string, callbackUrl: string): Promise<VerifiedSignIn> {
    this.forgetStale();
    const flow = this.flows.get(flowId);
    if (!flow) {
      throw new ContractError('unauthenticated', 'Sign-in failed: this sign-in is unknown or expired; start again');
    }
    // Used or not, a flow is spent: a replayed redirect must not get a second try.
    this.flows.delete(flowId);
    let current: URL;
    try {
      current = new URL(callbackUrl);
    } catch {
      throw new ContractError('invalid_input', 'callbackUrl: must be the URL the IdP redirected to', 'callbackUrl');
    }
    const expected = new URL(flow.redirectUri);
    if (current.origin !== expected.origin || current.pathname !== expected.pathname) {
      throw new ContractError('unauthenticated', 'Sign-in failed: the redirect did not come back to this sign-in');
    }
    const idpError = current.searchParams.get('error');
    if (idpError) {
      const description = current.searchParams.get('error_description') ?? '';
      throw new ContractError(
        'unauthenticated',
        `Sign-in failed: the IdP answered ${idpError.slice(0, 100)}${description ? ` (${description.slice(0, 300)})` : ''}`,
      );
    }
    const config = await this.configuration(flow.sso);
    const { oidc } = await oidcLibraries();
    let response: Awaited<ReturnType<typeof Oidc.authorizationCodeGrant>>;
    try {
      response = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: flow.codeVerifier,
        expectedState: flow.state,
        expectedNonce: flow.nonce,
        idTokenExpected: true,
        // With max_age the library also requires and checks auth_time (OIDC Core 3.1.3.7).
        ...(flow.maxAgeSeconds !== undefined ? { maxAge: flow.maxAgeSeconds } : {}),
      });
    } catch (error) {
      throw new ContractError('unauthenticated', `Sign-in failed: ${describeOidcError(error)}`);
    }
    return { tenant: flow.tenant, sso: flow.sso, test: flow.test, ...this.verified(response) };
  }

  /** New tokens for a session whose ID token expired; the new ID token is validated like the first. */
  async refresh(
    sso: SsoConfig,
    refreshToken: string,
  ): Promise<{ claims: Record<string, unknown>; tokens: OidcTokens }> {
    const config = await this.configuration(sso);
    try {
      const { oidc } = await oidcLibraries();
      const response = await oidc.refreshTokenGrant(config, refreshToken);
      const verified = this.verified(response);
      return {
        claims: verified.claims,
        tokens: { ...verified.tokens, refreshToken: verified.tokens.refreshToken ?? refreshToken },
      };
    } catch (error) {
      if (error instanceof ContractError) throw error;
      throw new ContractError('unauthenticated', `Session refresh failed: ${describeOidcError(error)}; sign in again`);
    }
  }

  /**
   * A bearer token a caller presents to `cavra server` (RFC 6750): a JWT the tenant's IdP signed,
   * checked against its JWKS — signature (asymmetric algorithms only), issuer, audience (the
   * tenant's client id), expiry and not-before, with a subject. Returns the claims or throws an
   * `unauthenticated` ContractError that says which check failed, never the token.
   */
  async verifyBearer(sso: SsoConfig, token: string): Promise<Record<string, unknown>> {
    const config = await this.configuration(sso);
    const uri = config.serverMetadata().jwks_uri;
    if (!uri) throw new ContractError('unavailable', `The IdP at ${sso.issuer} publishes no jwks_uri`);
    const { jose } = await oidcLibraries();
    let keys = this.keySets.get(uri);
    if (!keys) {
      keys = jose.createRemoteJWKSet(new URL(uri), { timeoutDuration: 10_000, cooldownDuration: 30_000 });
      this.keySets.set(uri, keys);
    }
    try {
      const { payload } = await jose.jwtVerify(token, keys, {
        issuer: sso.issuer,
        audience: sso.client_id,
        algorithms: [...idTokenAlgorithms],
        requiredClaims: ['sub', 'exp', 'iat'],
        clockTolerance: 30,
        currentDate: this.now(),
      });
      return { ...payload };
    } catch (error) {
      throw new ContractError('unauthenticated', `Bearer token refused: ${describeBearerError(error, sso.issuer)}`);
    }
  }

  /** The IdP's current public keys (its JWKS), kept with attested approvals for offline verification. */
  async jwks(sso: SsoConfig): Promise<{ keys: Record<string, unknown>[] }> {
    const config = await this.configuration(sso);
    const uri = config.serverMetadata().jwks_uri;
    if (!uri) throw new ContractError('unavailable', `The IdP at ${sso.issuer} publishes no jwks_uri`);
    const fetcher =
      this.options.fetch ?? ((url: string, init: Oidc.CustomFetchOptions) => fetch(url, init as RequestInit));
    const response = await fetcher(uri, {
      method: 'GET',
      headers: { accept: 'application/json' },
      redirect: 'manual',
      body: undefined,
    } as unknown as Oidc.CustomFetchOptions);
    const body = (await response.json()) as { keys?: unknown };
    if (!response.ok || !Array.isArray(body.keys)) {
      throw new ContractError('unavailable', `The IdP at ${sso.issuer} did not return its keys (${response.status})`);
    }
    // Public members only: a JWKS never has private ones, and a record must never carry them.
    const keys = (body.keys as Record<string, unknown>[]).map((key) => {
      const { d: _d, p: _p, q: _q, dp: _dp, dq: _dq, qi: _qi, k: _k, ...publicPart } = key;
      return publicPart;
    });
    return { keys };
  }

  /** Where to send the browser to end the IdP session too, when the IdP offers that. */
  async endSessionUrl(sso: SsoConfig, idToken: string): Promise<string | null> {
    const config = await this.configuration(sso);
    if (!config.serverMetadata().end_session_endpoint) return null;
    const { oidc } = await oidcLibraries();
    return oidc.buildEndSessionUrl(config, { id_token_hint: idToken }).href;
  }

  private verified(response: Oidc.TokenEndpointResponse & Oidc.TokenEndpointResponseHelpers): {
    claims: Record<string, unknown>;
    tokens: OidcTokens;
  } {
    const claims = response.claims();
    if (!claims || !response.id_token) {
      throw new ContractError('unauthenticated', 'Sign-in failed: the IdP returned no ID token');
    }
    return {
      claims: { ...claims },
      tokens: {
        idToken: response.id_token,
        accessToken: response.access_token,
        refreshToken: response.refresh_token ?? null,
        expiresAt: claims.exp * 1000,
      },
    };
  }

  private configuration(sso: SsoConfig): Promise<Oidc.Configuration> {
    const key = `${sso.issuer}\n${sso.client_id}`;
    const cached = this.configs.get(key);
    const now = Date.now();
    if (cached && now - cached.at < DISCOVERY_TTL_MS) return cached.config;
    const skewSeconds = Math.round((this.now().getTime() - Date.now()) / 1000);
    const config = oidcLibraries()
      .then(({ oidc }) => {
        const execute = [
          oidc.enableNonRepudiationChecks,
          ...(loopback(sso.issuer) ? [oidc.allowInsecureRequests] : []),
        ];
        return oidc
          .discovery(
            new URL(sso.issuer),
            sso.client_id,
            {
              token_endpoint_auth_method: 'none',
              id_token_signed_response_alg: 'RS256',
              [oidc.clockSkew]: skewSeconds,
            },
            oidc.None(),
            { execute, timeout: 10, ...(this.options.fetch ? { [oidc.customFetch]: this.options.fetch } : {}) },
          )
          .then((configuration) => {
            if (this.options.fetch) configuration[oidc.customFetch] = this.options.fetch;
            return configuration;
          });
      })
      .catch((error: unknown) => {
        this.configs.delete(key);
        throw new ContractError(
          'unavailable',
          `The IdP at ${sso.issuer} could not be reached or described itself wrongly: ${describeOidcError(error)}`,
        );
      });
    this.configs.set(key, { config, at: now });
    return config;
  }

  private forgetStale(): void {
    const cutoff = this.now().getTime() - FLOW_TTL_MS;
    for (const [id, flow] of this.flows) if (flow.startedAt < cutoff) this.flows.delete(id);
  }
}

/** The error and its causes (openid-client wraps oauth4webapi's errors), outermost first. */
function chain(error: unknown): { message: string; code?: string; claim?: string }[] {
  const out: { message: string; code?: string; claim?: string }[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current instanceof Error; depth++) {
    const cause = (current as { cause?: unknown }).cause;
    const claim =
      cause && typeof cause === 'object' && 'claim' in cause ? String((cause as { claim: unknown }).claim) : undefined;
    out.push({ message: current.message, code: (current as { code?: string }).code, claim });
    current = cause;
  }
  return out;
}

/** What went wrong, in words for the person signing in; never a token or a code. */
export function describeOidcError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const links = chain(error);
  const text = links.map((link) => link.message).join(' ');
  const claim = links.find((link) => link.claim)?.claim;
  if (claim === 'iss') return 'the ID token was issued by another issuer than the tenant’s IdP (wrong issuer)';
  if (claim === 'aud' || claim === 'azp') return 'the ID token was issued for another client (wrong audience)';
  if (claim === 'nonce') return 'the ID token does not answer this sign-in (wrong nonce; possibly replayed)';
  if (claim === 'exp') return 'the ID token has expired';
  if (claim === 'iat' || claim === 'nbf') return 'the ID token is not valid at this time (check the clock)';
  if (/"state"/.test(text))
    return 'the redirect does not carry the state of this sign-in (mismatched state; possibly forged)';
  if (/signature/i.test(text)) return 'the ID token signature does not verify against the IdP’s keys (tampered token)';
  return links[links.length - 1]?.message.slice(0, 300) ?? error.message.slice(0, 300);
}

/** Which check a bearer token failed, in words; never the token or its claims' values. */
function describeBearerError(error: unknown, issuer: string): string {
  const code = (error as { code?: string }).code;
  const claim = (error as { claim?: string }).claim;
  if (code === 'ERR_JWT_EXPIRED') return 'the token has expired; get a new one from the IdP';
  if (code === 'ERR_JWT_CLAIM_VALIDATION_FAILED') {
    if (claim === 'iss')
      return `the token was issued by another issuer than this tenant’s IdP (${issuer}) (wrong issuer)`;
    if (claim === 'aud') return 'the token was issued for another client than this tenant’s (wrong audience)';
    if (claim === 'nbf' || claim === 'iat') return 'the token is not valid yet (check the clock)';
    return `the token's ${claim ?? 'claims'} claim is missing or wrong`;
  }
  if (code === 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' || code === 'ERR_JWKS_NO_MATCHING_KEY') {
    return 'the token signature does not verify against the tenant IdP’s keys (wrong key or tampered token)';
  }
  if (code === 'ERR_JOSE_ALG_NOT_ALLOWED') return 'the token is signed with an algorithm CAVRA does not accept';
  if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC')
    return 'the IdP’s keys could not be fetched; try again';
  return 'the token is not a well-formed signed JWT';
}
