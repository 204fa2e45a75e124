import { roles as allRoles } from '../contract';
import type { Role, RoleMapping } from '../contract';

/** The groups an ID token lists under the tenant's groups claim (a string or an array of strings). */
export function groupsOf(claims: Record<string, unknown>, claim: string): string[] {
  const value = claims[claim];
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((group): group is string => typeof group === 'string');
  return [];
}

/** IdP groups → tenant roles: the union over every mapping whose group the user is in, in contract order. */
export function rolesForGroups(groups: readonly string[], mappings: readonly RoleMapping[]): Role[] {
  const held = new Set<Role>();
  for (const mapping of mappings) if (groups.includes(mapping.group)) for (const role of mapping.roles) held.add(role);
  return allRoles.filter((role) => held.has(role));
}
