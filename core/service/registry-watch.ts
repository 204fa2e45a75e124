import type { TenantDirectory } from '../tenants';
import type { EventBus } from './events';

const WATCH_INTERVAL_MS = 250;

/**
 * Announces tenants that another process created or renamed (`cavra tenants create` in a
 * terminal while the console is open). Polls the registry's `data_version`, which costs a
 * pragma, and compares tenant rows only when it moved. Runs while someone listens to events.
 */
export class RegistryWatch {
  private known = new Map<string, string>();
  private version = -1;
  private timer: ReturnType<typeof setInterval> | null = null;

  constructor(
    private readonly tenants: TenantDirectory,
    private readonly events: EventBus,
    private readonly intervalMs = WATCH_INTERVAL_MS,
  ) {}

  start(): void {
    if (this.timer) return;
    this.version = this.tenants.registryVersion();
    this.known = this.snapshot();
    this.timer = setInterval(() => this.poll(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private snapshot(): Map<string, string> {
    return new Map(this.tenants.tenantIdentities().map((t) => [t.id, `${t.kind}\n${t.displayName}`]));
  }

  private poll(): void {
    try {
      const version = this.tenants.registryVersion();
      if (version === this.version) return;
      this.version = version;
      const now = this.snapshot();
      for (const [id, identity] of now) {
        const before = this.known.get(id);
        if (before === identity) continue;
        this.events.emit('tenants.changed', id, { tenantId: id, change: before === undefined ? 'created' : 'updated' });
      }
      this.known = now;
    } catch {
      // A registry that cannot be read now is reported by the next call that needs it.
    }
  }
}
