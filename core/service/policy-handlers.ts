import { ContractError } from '../contract';
import type { Action, ActionType } from '../contract';
import { conditionKeys, formatPackError, ruleSubject } from '../policy';
import type { PolicyService, RuleDocument } from '../policy';
import type { EventBus } from './events';
import type { Handler } from './handlers';

type PolicyHandlers = {
  'policy.packs.list': Handler<'policy.packs.list'>;
  'policy.pack.get': Handler<'policy.pack.get'>;
  'policy.simulate': Handler<'policy.simulate'>;
  'policy.evaluate': Handler<'policy.evaluate'>;
  'policy.assign': Handler<'policy.assign'>;
  'policy.unassign': Handler<'policy.unassign'>;
  'policy.test': Handler<'policy.test'>;
  'policy.pack.import': Handler<'policy.pack.import'>;
  'policy.reload': Handler<'policy.reload'>;
  'policy.settings.get': Handler<'policy.settings.get'>;
  'policy.settings.update': Handler<'policy.settings.update'>;
};

/** An action naming another tenant than the call is scoped to is refused, never silently re-scoped. */
function actionFor(tenant: string, action: Action): Action {
  if (action.tenant !== undefined && action.tenant !== tenant) {
    throw new ContractError(
      'invalid_input',
      `action.tenant: the action names tenant "${action.tenant}" but the call is for "${tenant}"`,
      'action.tenant',
    );
  }
  return action;
}

const subjectActions: Record<ReturnType<typeof ruleSubject>, ActionType[]> = {
  command: ['execute_command'],
  path: ['read_file', 'write_file'],
  git: ['git_operation'],
  mcp: ['mcp_tool_call'],
};

function describeValue(value: unknown): string {
  if (Array.isArray(value)) return value.map(describeValue).join(value.some(Array.isArray) ? ' and ' : ', ');
  if (typeof value === 'object' && value !== null) {
    return Object.entries(value)
      .map(([key, inner]) => `${key} ${Array.isArray(inner) ? `[${describeValue(inner)}]` : describeValue(inner)}`)
      .join('; ');
  }
  return String(value);
}

function ruleView(rule: RuleDocument) {
  const subject = ruleSubject(rule);
  const actions: ActionType[] = rule.action === undefined ? subjectActions[subject] : [rule.action].flat();
  return {
    id: rule.id,
    description: rule.description ?? null,
    subject,
    actions:
      subject === 'path' && rule.access
        ? actions.filter((type) => type === (rule.access === 'read' ? 'read_file' : 'write_file'))
        : actions,
    decision: rule.decision,
    severity: rule.severity,
    reason: rule.reason,
    approvalRoute: rule.approval_route ?? null,
    conditions: conditionKeys
      .filter((key) => rule[key] !== undefined)
      .map((key) => `${key}: ${describeValue(rule[key])}`),
  };
}

export function policyHandlers(policy: PolicyService, events: EventBus): PolicyHandlers {
  const changed = (
    tenant: string,
    change: 'assigned' | 'unassigned' | 'imported' | 'reloaded' | 'settings',
    packId: string | null = null,
    repository: string | null = null,
  ) => events.emit('policy.changed', tenant, { tenantId: tenant, change, packId, repository });

  return {
    'policy.packs.list': (ctx) => policy.listPacks(ctx.tenant),
    'policy.pack.get': (ctx, input) => {
      const { summary, loaded } = policy.pack(ctx.tenant, input.packId);
      const document = loaded.document;
      return {
        pack: summary,
        rules: document.rules.map(ruleView),
        defaults: document.defaults
          ? {
              decision: document.defaults.decision,
              severity: document.defaults.severity,
              reason: document.defaults.reason ?? null,
            }
          : null,
        protectedBranches: document.protected_branches ?? [],
        trustedMcpServers: document.trusted_mcp_servers ?? [],
        approvalRoutes: Object.entries(document.approval_routes ?? {}).map(([name, route]) => ({
          name,
          approvers: route.approvers,
          requiredApprovals: route.required_approvals,
          expiresAfter: route.expires_after,
          requireReason: route.require_reason,
          allowReuse: route.allow_reuse,
        })),
        tests: (document.tests ?? []).map((test) => ({
          name: test.name,
          expect: test.expect,
          rule: test.rule ?? null,
        })),
        yaml: loaded.text,
      };
    },
    'policy.simulate': (ctx, input) => {
      const tenant = ctx.tenant;
      // Never recorded: the simulator is a what-if, not an action.
      const { decision, normalized } = policy.evaluate(tenant, actionFor(tenant, input.action), { dryRun: true });
      return { decision, normalized };
    },
    'policy.evaluate': async (ctx, input) => {
      const tenant = ctx.tenant;
      return policy.evaluateAndRecord(tenant, actionFor(tenant, input.action));
    },
    'policy.assign': (ctx, input) => {
      const tenant = ctx.tenant;
      const repository = input.repository ?? null;
      const didChange = policy.assign(tenant, input.packId, repository, ctx.principal);
      if (didChange) changed(tenant, 'assigned', input.packId, repository);
      return { changed: didChange, pack: policy.pack(tenant, input.packId).summary };
    },
    'policy.unassign': (ctx, input) => {
      const tenant = ctx.tenant;
      const repository = input.repository ?? null;
      policy.unassign(tenant, input.packId, repository, ctx.principal);
      changed(tenant, 'unassigned', input.packId, repository);
      return { changed: true, pack: policy.pack(tenant, input.packId).summary };
    },
    'policy.test': (ctx, input) => policy.testPack(ctx.tenant, input.packId),
    'policy.pack.import': (ctx, input) => {
      const tenant = ctx.tenant;
      const result = policy.importPack(tenant, input.yaml, input.signature ?? null, ctx.principal);
      changed(tenant, 'imported', result.summary.id);
      return {
        pack: result.summary,
        unconverted: result.unconverted,
        notes: result.notes,
        replacedVersion: result.replaced,
      };
    },
    'policy.reload': (ctx) => {
      const tenant = ctx.tenant;
      const errors = policy.reload(tenant).map(formatPackError);
      changed(tenant, 'reloaded');
      return { errors };
    },
    'policy.settings.get': (ctx) => policy.settings(ctx.tenant),
    'policy.settings.update': (ctx, input) => {
      const tenant = ctx.tenant;
      const settings = policy.updateSettings(tenant, input, ctx.principal);
      changed(tenant, 'settings');
      return settings;
    },
  };
}
