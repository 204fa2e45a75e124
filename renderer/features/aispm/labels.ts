import type { CoverageState, FindingCategory, FindingStatus, RiskLevel } from '../../../core/contract';

export const coverageStateText: Record<CoverageState, string> = {
  enforced: 'Enforced',
  approval_gated: 'Approval-gated',
  shadow: 'Shadow',
  not_observed: 'Not observed',
};

export const statusText: Record<FindingStatus, string> = {
  open: 'Open',
  acknowledged: 'Acknowledged',
  resolved: 'Resolved',
  accepted_risk: 'Accepted risk',
};

export const categoryText: Record<FindingCategory, string> = {
  activity: 'Blocked or gated activity',
  near_miss: 'Near miss',
  configuration: 'Configuration',
  evidence: 'Evidence',
  review: 'Operating review',
};

export const riskText: Record<RiskLevel, string> = {
  low: 'Low risk',
  medium: 'Medium risk',
  high: 'High risk',
  critical: 'Critical risk',
};

export function formatTime(iso: string | null): string {
  return iso ? new Date(iso).toLocaleString() : '—';
}
