import { z } from 'zod';
import { ContractError, osUserSchema } from '../contract';
import type { Principal } from '../contract';
import { approvalBinding, termsForMachineRequest } from '../approvals';
import type { ApprovalRequest } from '../approvals';
import { MACHINE_PATHS, approvalBindingSchema, machineApprovalOpenSchema, machineApprovalWaitSchema } from '../connect';
import { AgentCredentials } from '../gate';
import type { RouteContext, RouteModule, ServerDeps } from './routes';

/** Who may join a machine to a tenant: the people who run the tenant's gates. */
const ENROLLING_ROLES = new Set(['tenant_admin', 'operator']);
/** The longest wait a machine may note for its agent (a gate's approval wait is shorter). */
const MAX_NOTED_WAIT_MS = 24 * 3_600_000;

function parse<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const field = issue?.path.map(String).join('.') || 'body';
  throw new ContractError('invalid_input', `${field}: ${issue?.message ?? 'is invalid'} (${what})`, field);
}

const enrolSchema = z.object({
  name: z.string().trim().min(1).max(200),
  osUser: osUserSchema.optional(),
  nonce: z.string().max(100).optional(),
});

const consumeSchema = z.object({
  binding: approvalBindingSchema,
  correlationId: z.string().min(1).max(200),
  requestId: z.string().min(1).max(100).nullable(),
});
const abandonSchema = z.object({ id: z.string().min(1).max(100), reason: z.string().min(1).max(500) });
const packsSchema = z.object({ generation: z.string().max(64).nullable() });

/** Appends one record of the server's own to the tenant's central ledger; throws when it is not stored. */
async function recordCentrally(deps: ServerDeps, tenant: string, payload: Record<string, unknown>): Promise<void> {
  const [outcome] = await deps.ledger.appendBatch(tenant, [{ type: 'config_change', payload, origin: null }]);
  if (outcome?.status !== 'fulfilled') throw (outcome?.reason as Error) ?? new Error('the record was not stored');
}

function machineOf(ctx: RouteContext): { principal: Principal; tenant: string } {
  return { principal: ctx.principal as Principal, tenant: ctx.tenant as string };
}

/** A request this machine raised, or not_found (another machine's request is none of its business). */
async function ownRequest(deps: ServerDeps, tenant: string, machine: Principal, id: string): Promise<ApprovalRequest> {
  const request = await deps.core.gateHost.approvals.get(tenant, id);
  if (!request || request.agentPrincipal !== machine.id) {
    throw new ContractError('not_found', `id: no approval request "${id}" raised by this machine`, 'id');
  }
  return request;
}

/**
 * The routes an enrolled machine (a connected gate) calls, and the one a person calls to
 * enrol it. A machine is an agent principal bound to one tenant: it raises approval requests
 * in the shared queue, waits for and uses their answers, and ships evidence (ledger-routes.ts);
 * deciding is a contract operation that the core refuses to every agent.
 */
export const machineRoutes: RouteModule = (deps) => {
  const { approvals, policy } = deps.core.gateHost;
  const agents = deps.credentials;
  return [
    {
      method: 'POST',
      path: MACHINE_PATHS.enrol,
      auth: 'human',
      async handle(ctx) {
        const { principal, tenant } = machineOf(ctx);
        const input = parse(enrolSchema, ctx.body, 'an enrolment is {name, osUser?}');
        const info = await deps.core.invoke(principal, { op: 'system.info', tenant: null, input: {} });
        const roles = info.ok
          ? ((info.value as { tenants: { id: string; roles: string[] }[] }).tenants.find((t) => t.id === tenant)
              ?.roles ?? [])
          : [];
        if (!roles.some((role) => ENROLLING_ROLES.has(role))) {
          throw new ContractError(
            'forbidden',
            `Enrolling a machine in "${tenant}" needs the operator or tenant_admin role; yours: ${roles.join(', ') || 'none'}`,
          );
        }
        const owner = input.osUser ?? { uid: 0, name: 'unknown' };
        // Record, then apply: the enrolment is on record in the central ledger (under the id the
        // credential will have) before any credential exists; no record, no credential.
        const minted = AgentCredentials.mint();
        try {
          await recordCentrally(deps, tenant, {
            change: 'machine_enrolled',
            by: principal.id,
            machine: minted.id,
            name: input.name,
            os_user: owner.name,
          });
        } catch (error) {
          throw new ContractError(
            'unavailable',
            `The enrolment could not be recorded, so no credential was issued: ${error instanceof Error ? error.message : String(error)}`,
          );
        }
        const issued = await agents.issue(tenant, `machine ${input.name}`, owner, principal.id, minted);
        deps.log({ level: 'info', msg: 'machine enrolled', tenant, machine: issued.credential.id, by: principal.id });
        return {
          status: 201,
          body: { machineId: issued.credential.id, tenant, credential: issued.token, role: 'machine' },
        };
      },
    },
    {
      method: 'GET',
      path: MACHINE_PATHS.self,
      auth: 'machine',
      async handle(ctx) {
        const { principal, tenant } = machineOf(ctx);
        const credential = (await agents.list(tenant)).find((c) => `agent:${c.id}` === principal.id);
        if (!credential) throw new ContractError('not_found', 'This machine is not enrolled');
        return {
          body: {
            machineId: credential.id,
            tenant,
            name: credential.label.replace(/^machine /, ''),
            role: 'machine',
            enrolledAt: credential.createdAt,
            enrolledBy: '',
            lastSeenAt: null,
            ingestedThrough: null,
          },
        };
      },
    },
    {
      method: 'POST',
      path: MACHINE_PATHS.revoke,
      auth: 'machine',
      async handle(ctx) {
        const { principal, tenant } = machineOf(ctx);
        const id = principal.id.replace(/^agent:/, '');
        await recordCentrally(deps, tenant, { change: 'machine_disconnected', by: principal.id, machine: id });
        await agents.revoke(tenant, id);
        return { body: { revoked: true } };
      },
    },
    {
      method: 'POST',
      path: MACHINE_PATHS.approvalOpen,
      auth: 'machine',
      async handle(ctx) {
        const { principal, tenant } = machineOf(ctx);
        const input = parse(machineApprovalOpenSchema, ctx.body, 'an approval request as the gate raises it');
        if (input.binding.tenant !== tenant) {
          throw new ContractError(
            'forbidden',
            `binding.tenant: this machine acts only in "${tenant}"`,
            'binding.tenant',
          );
        }
        // The binding is recomputed here: a machine cannot get an approval for one action bound to another.
        const pack =
          input.binding.packId !== null && input.binding.packVersion !== null
            ? { id: input.binding.packId, version: input.binding.packVersion }
            : null;
        const binding = approvalBinding(input.action, tenant, pack);
        if (binding.actionSha256 !== input.binding.actionSha256) {
          throw new ContractError('invalid_input', 'binding.actionSha256: does not match the action', 'binding');
        }
        // Who may approve, how many, attested or not, reusable or not, and for how long: the
        // tenant's policy as this server holds it says, for the rule the machine names.
        const derived = termsForMachineRequest(policy, tenant, input.action, input);
        const request = await approvals.open({
          ...input,
          binding,
          route: derived.route,
          ruleId: derived.ruleId,
          terms: derived.terms,
          expiresInMs: derived.expiresInMs,
          actionType: input.actionType as ApprovalRequest['actionType'],
          agentPrincipal: principal.id,
          decisionSeq: null,
          requesterUid: null,
        });
        return { status: 201, body: { request } };
      },
    },
    {
      method: 'POST',
      path: MACHINE_PATHS.approvalWait,
      auth: 'machine',
      async handle(ctx) {
        const { principal, tenant } = machineOf(ctx);
        const input = parse(machineApprovalWaitSchema, ctx.body, '{id, waitMs, untilMs?}');
        await ownRequest(deps, tenant, principal, input.id);
        // Someone waits until then: the desk abandons the request once nobody has waited for a
        // while, and reviewers see that end (the agent's, not this poll's) as the request's.
        const now = Date.now();
        const until = Math.max(now + input.waitMs, Math.min(input.untilMs ?? 0, now + MAX_NOTED_WAIT_MS));
        await approvals.noteWait(tenant, input.id, until);
        await approvals.expireDue(tenant).catch(() => 0);
        const request = await approvals.wait(tenant, input.id, input.waitMs);
        return { body: { request } };
      },
    },
    {
      method: 'POST',
      path: MACHINE_PATHS.approvalConsume,
      auth: 'machine',
      async handle(ctx) {
        const { principal, tenant } = machineOf(ctx);
        const input = parse(consumeSchema, ctx.body, '{binding, correlationId, requestId}');
        if (input.binding.tenant !== tenant) {
          throw new ContractError(
            'forbidden',
            `binding.tenant: this machine acts only in "${tenant}"`,
            'binding.tenant',
          );
        }
        if (input.requestId !== null) await ownRequest(deps, tenant, principal, input.requestId);
        // One conditional update on the shared desk: an approval allows one action, on one machine.
        const request = await approvals.consume(
          input.binding,
          input.correlationId,
          input.requestId ?? undefined,
          principal.id,
        );
        return { body: { request } };
      },
    },
    {
      method: 'POST',
      path: MACHINE_PATHS.approvalAbandon,
      auth: 'machine',
      async handle(ctx) {
        const { principal, tenant } = machineOf(ctx);
        const input = parse(abandonSchema, ctx.body, '{id, reason}');
        await ownRequest(deps, tenant, principal, input.id);
        const request = await approvals.abandon(tenant, input.id, principal.id, input.reason);
        return { body: { request } };
      },
    },
    {
      method: 'POST',
      path: MACHINE_PATHS.packs,
      auth: 'machine',
      handle(ctx) {
        const { tenant } = machineOf(ctx);
        const input = parse(packsSchema, ctx.body, '{generation}');
        const set = deps.core.controlPlane.publishedPacks(tenant);
        // The machine has this generation already: the digest says so, the packs need not travel.
        return { body: set.generation === input.generation ? { generation: set.generation, packs: [] } : set };
      },
    },
  ];
};
