/** Remembers webhook ids for the tolerance window, so a delivery replayed inside it is refused. */
export class ReplayCache {
  private readonly seen = new Map<string, number>();

  constructor(private readonly windowMs = 10 * 60_000, private readonly maxEntries = 100_000) {}

  /** True the first time an id is seen within the window. */
  firstTime(id: string, now = Date.now()): boolean {
    for (const [key, at] of this.seen) {
      if (at > now - this.windowMs && this.seen.size < this.maxEntries) break;
      this.seen.delete(key);
    }
    if (this.seen.has(id)) return false;
    this.seen.set(id, now);
    return true;
  }
}
