import crypto from 'node:crypto';
import { ContractError } from '../contract';
import type { ApprovalDesk, ApprovalRequest } from './desk';
import type { Decider } from './separation';
import { ATTESTATION_MAX_AGE_S, attestationNonce } from './attestation';
import type { Attestation } from './attestation';

/** What the approvals capability needs from identity for a step-up sign-in (IdentityService satisfies it). */
export interface StepUpIdentity {
  beginStepUp(
    tenant: string,
    redirectUri: string,
    nonce: string,
    maxAgeSeconds: number,
  ): Promise<{ flowId: string; authorizationUrl: string }>;
  completeStepUp(
    flowId: string,
    callbackUrl: string,
  ): Promise<{
    tenant: string;
    issuer: string;
    principal: { id: string; displayName: string };
    claims: Record<string, unknown>;
    idToken: string;
    jwks: { keys: Record<string, unknown>[] };
  }>;
}

/** A verdict waiting for its step-up sign-in: in memory only, like the sign-in flow it belongs to. */
interface PendingVerdict {
  tenant: string;
  requestId: string;
  actionSha256: string;
  verdict: 'approve' | 'deny';
  reason?: string;
  justification?: string;
  decider: Decider;
  random: string;
  startedAt: number;
}

const STEP_UP_TTL_MS = 10 * 60_000;

/**
 * IdP-attested verdicts (SPEC §5): `begin` checks that the verdict could stand, commits a nonce
 * to it and starts a fresh sign-in; `complete` takes the IdP's redirect, requires the ID token
 * to name the same person who asked, and gives the verdict with the attestation.
 */
export class StepUp {
  private readonly pending = new Map<string, PendingVerdict>();

  constructor(
    private readonly desk: ApprovalDesk,
    private readonly identity: StepUpIdentity,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async begin(
    tenant: string,
    requestId: string,
    verdict: { verdict: 'approve' | 'deny'; reason?: string; justification?: string; decider: Decider },
    redirectUri: string,
  ): Promise<ApprovalRequest & { stepUp: { flowId: string; authorizationUrl: string; expiresAt: string } }> {
    this.forgetStale();
    // Refusals come before the sign-in: the same checks the verdict meets when it completes.
    const request = await this.desk.check(tenant, requestId, verdict, true);
    const random = crypto.randomBytes(32).toString('base64url');
    const nonce = attestationNonce(requestId, request.binding.actionSha256, verdict.verdict, random);
    const flow = await this.identity.beginStepUp(tenant, redirectUri, nonce, ATTESTATION_MAX_AGE_S);
    const startedAt = this.now().getTime();
    this.pending.set(flow.flowId, {
      tenant,
      requestId,
      actionSha256: request.binding.actionSha256,
      ...verdict,
      random,
      startedAt,
    });
    return {
      ...request,
      stepUp: { ...flow, expiresAt: new Date(startedAt + STEP_UP_TTL_MS).toISOString() },
    };
  }

  async complete(tenant: string, flowId: string, callbackUrl: string, decider: Decider): Promise<ApprovalRequest> {
    this.forgetStale();
    const pending = this.pending.get(flowId);
    if (!pending || pending.tenant !== tenant || pending.decider.id !== decider.id) {
      throw new ContractError('unauthenticated', 'This step-up sign-in is unknown, expired or not yours; decide again');
    }
    this.pending.delete(flowId);
    const signedIn = await this.identity.completeStepUp(flowId, callbackUrl);
    if (signedIn.principal.id !== decider.id) {
      throw new ContractError(
        'forbidden',
        `The IdP authenticated ${signedIn.principal.displayName}, not the signed-in reviewer: a verdict is attested only by the person giving it`,
      );
    }
    const authTime = signedIn.claims.auth_time;
    if (typeof authTime !== 'number') {
      throw new ContractError(
        'unauthenticated',
        'The IdP did not say when it authenticated you (auth_time); the verdict is not attested',
      );
    }
    const attestation: Attestation = {
      idToken: signedIn.idToken,
      random: pending.random,
      issuer: signedIn.issuer,
      subject: String(signedIn.claims.sub),
      authTime: new Date(authTime * 1000).toISOString(),
      name: signedIn.principal.displayName,
      jwks: signedIn.jwks,
    };
    if (pending.justification) {
      return this.desk.breakGlass(tenant, pending.requestId, decider, pending.justification, attestation);
    }
    return this.desk.decide(tenant, pending.requestId, {
      verdict: pending.verdict,
      decider,
      ...(pending.reason !== undefined ? { reason: pending.reason } : {}),
      attestation,
    });
  }

  private forgetStale(): void {
    const cutoff = this.now().getTime() - STEP_UP_TTL_MS;
    for (const [id, pending] of this.pending) if (pending.startedAt < cutoff) this.pending.delete(id);
  }
}
