/**
 * Structured logs: one JSON object per line on stdout. Callers pass only fields that are safe
 * to keep (route, tenant, principal id, status, duration); tokens, bodies, database URLs and
 * other secrets never reach here.
 */
export type ServerLog = (entry: Record<string, string | number | boolean | null>) => void;

export function jsonLineLog(write: (line: string) => void, now: () => Date = () => new Date()): ServerLog {
  return (entry) => write(`${JSON.stringify({ time: now().toISOString(), ...entry })}\n`);
}
