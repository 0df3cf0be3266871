/**
 * Outgoing webhook delivery with retries. Signing is the vendor module's job (Replicate signs
 * Standard-Webhooks style, FAL with Ed25519); this module only delivers and records.
 */
import { pushBounded } from './retention.js';

export interface Delivery {
  vendor: string;
  url: string;
  /** The event, for Replicate (`start`, `output`, `logs`, `completed`); `completed` for FAL. */
  event: string;
  attempts: number;
  status: number | null;
  at: string;
}

/** Deliveries kept for `GET /_sandbox/webhooks`. */
const DELIVERIES_KEPT = 10_000;

export class WebhookSender {
  private readonly deliveries: Delivery[] = [];
  private readonly pending = new Set<Promise<void>>();

  constructor(
    private readonly delay: (ms: number) => Promise<void>,
    private readonly maxAttempts = 4,
  ) {}

  /** Fire and forget: the request that triggered it never waits for the receiver. */
  send(vendor: string, url: string, event: string, body: string, headers: Record<string, string>): void {
    const delivery: Delivery = { vendor, url, event, attempts: 0, status: null, at: new Date().toISOString() };
    pushBounded(this.deliveries, delivery, DELIVERIES_KEPT);
    const job = this.deliver(delivery, body, headers).finally(() => this.pending.delete(job));
    this.pending.add(job);
  }

  private async deliver(delivery: Delivery, body: string, headers: Record<string, string>): Promise<void> {
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      delivery.attempts = attempt;
      try {
        const res = await fetch(delivery.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          body,
          redirect: 'manual',
          signal: AbortSignal.timeout(10_000),
        });
        delivery.status = res.status;
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) return;
      } catch {
        delivery.status = null;
      }
      await this.delay(1000 * 2 ** attempt);
    }
  }

  list(): Delivery[] {
    return [...this.deliveries];
  }

  /** Waits for deliveries in flight (tests, and a clean shutdown). */
  async drain(): Promise<void> {
    await Promise.allSettled([...this.pending]);
  }

  reset(): void {
    this.deliveries.length = 0;
  }
}
