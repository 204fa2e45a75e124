import type { DecisionKind, Severity } from '../../core/contract';

const decisionText: Record<DecisionKind, string> = {
  allow: 'Allow',
  warn: 'Warn',
  require_approval: 'Require approval',
  deny: 'Deny',
};

export function DecisionBadge({ decision }: { decision: DecisionKind }) {
  return <span className={`decision decision-${decision}`}>{decisionText[decision]}</span>;
}

export function SeverityBadge({ severity }: { severity: Severity }) {
  return <span className={`severity severity-${severity}`}>{severity}</span>;
}
