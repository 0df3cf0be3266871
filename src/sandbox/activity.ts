/**
 * Whether the sandbox is doing anything: requests being answered, or vendor work still running
 * (every simulated latency, queue wait and webhook retry goes through the context's delay). The
 * background sandbox stops itself after a quiet period, and must never do so while a job runs that
 * a killed client will come back for.
 */
export class Activity {
  private busy = 0;
  private lastAt = Date.now();

  /** Marks the start of some work; call the returned function when it ends. */
  begin(): () => void {
    this.busy++;
    this.lastAt = Date.now();
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.busy--;
      this.lastAt = Date.now();
    };
  }

  /** The same delay, counted as work while it waits. */
  tracking<A extends unknown[]>(delay: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
    return (...args) => {
      const end = this.begin();
      return delay(...args).finally(end);
    };
  }

  /** How long nothing has happened (0 while something runs). */
  idleForMs(now = Date.now()): number {
    return this.busy > 0 ? 0 : now - this.lastAt;
  }
}
