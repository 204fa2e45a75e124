/** The console's screens (SPEC §12), in navigation order. */
export const screens = [
  { id: 'trial', label: 'Trial checklist', arrivesWith: null },
  { id: 'approvals', label: 'Approval queue', arrivesWith: null },
  { id: 'reviews', label: 'Operating reviews', arrivesWith: null },
  { id: 'activity', label: 'Live activity', arrivesWith: null },
  { id: 'evidence', label: 'Evidence', arrivesWith: null },
  { id: 'policy', label: 'Policy packs', arrivesWith: null },
  { id: 'aispm', label: 'AISPM posture', arrivesWith: null },
  { id: 'reports', label: 'Reports', arrivesWith: null },
  { id: 'connectors', label: 'Connectors', arrivesWith: null },
  { id: 'tenants', label: 'Tenants and access', arrivesWith: null },
  { id: 'readiness', label: 'Readiness', arrivesWith: null },
  { id: 'license', label: 'License', arrivesWith: null },
  { id: 'offline', label: 'Offline review', arrivesWith: null },
  { id: 'health', label: 'System health', arrivesWith: null },
] as const;

export type ScreenId = (typeof screens)[number]['id'];
