import { z } from 'zod';

/** Enterprise features a license can grant; operations that need one name it in the contract. */
export const enterpriseFeatures = ['readiness', 'reports', 'connectors', 'aispm', 'sso', 'operating_reviews'] as const;
export const enterpriseFeatureSchema = z.enum(enterpriseFeatures);
export type EnterpriseFeature = z.infer<typeof enterpriseFeatureSchema>;

/** What each feature is, for people (the License screen, error messages). */
export const enterpriseFeatureLabels: Record<EnterpriseFeature, string> = {
  readiness: 'Readiness gates, signed readiness packets',
  reports: 'Report rendering and delivery',
  connectors: 'SIEM, ITSM, ChatOps and webhook connectors',
  aispm: 'AISPM posture',
  sso: 'Single sign-on',
  operating_reviews: 'Operating reviews',
};
