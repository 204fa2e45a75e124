import type { SigningKeyStatus } from '../tenants';

export type HealthStatus = 'ok' | 'warn' | 'fail';

/** One check's answer: what it found, and when it is not ok, how to fix it. */
export interface HealthResult {
  id: string;
  title: string;
  status: HealthStatus;
  message: string;
  fix: string | null;
}

/** What a check may look at. Everything is observed now; nothing is remembered. */
export interface HealthContext {
  /** CAVRA_HOME. */
  home: string;
  /** The caller's home directory (user-level Claude Code settings live there). */
  userHome: string;
  /** Project directories whose Claude Code settings to inspect (the CLI passes its working directory). */
  projects: string[];
  /** Where Claude Code's managed settings live (claudeManagedDir(), or a test's directory). */
  claudeManagedDir: string;
  /** The tenants the caller may see, with whether each can sign its evidence now. */
  tenants(): { id: string; signingKey: SigningKeyStatus }[];
  /** Whether the OS keychain answers. */
  keychain(): { available: true } | { available: false; reason: string; advice: string };
}

/**
 * A health check: independent of every other (one failing never stops the rest), quick
 * (the console asks on every load), and honest (it observes, never assumes).
 */
export interface HealthCheck {
  id: string;
  title: string;
  run(context: HealthContext): HealthResult | Promise<HealthResult>;
}

/** Builds a result for a check. */
export function result(
  check: Pick<HealthCheck, 'id' | 'title'>,
  status: HealthStatus,
  message: string,
  fix: string | null = null,
): HealthResult {
  return { id: check.id, title: check.title, status, message, fix };
}
