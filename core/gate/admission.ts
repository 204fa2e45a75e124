/**
 * Bounds the decisions in progress. Up to `maxInFlight` run at once, up to `maxQueued`
 * more wait for a slot, and anything beyond is refused at once: the caller answers deny.
 * Overload never turns into allow, and never into an unbounded queue.
 */
export class Admission {
  private inFlight = 0;
  private readonly queue: (() => void)[] = [];

  constructor(
    private readonly maxInFlight: number,
    private readonly maxQueued: number,
  ) {}

  /** A release function once admitted, or null when the gate is over capacity. */
  enter(): Promise<(() => void) | null> {
    if (this.inFlight < this.maxInFlight) {
      this.inFlight += 1;
      return Promise.resolve(this.releaser());
    }
    if (this.queue.length >= this.maxQueued) return Promise.resolve(null);
    return new Promise((resolve) => {
      this.queue.push(() => resolve(this.releaser()));
    });
  }

  load(): { inFlight: number; queued: number } {
    return { inFlight: this.inFlight, queued: this.queue.length };
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.queue.shift();
      if (next) next();
      else this.inFlight -= 1;
    };
  }
}
