/**
 * Webhook completion for async vendor jobs: verified deliveries (from the gateway's receivers or a
 * batch's own) wake whoever waits on that vendor job. A delivery may come before anyone waits (a
 * fast job, or the id was still being stored), so recent deliveries are remembered for a while.
 */
import type { WebhookCompletion } from '../providers/completion.js';

export type WebhookVendor = 'replicate' | 'fal';

/** How long a delivery nobody waited for yet is remembered. */
const REMEMBER_MS = 60 * 60_000;

export class WebhookCompletions {
  private readonly delivered = new Map<string, number>();
  private readonly waiters = new Map<string, Set<() => void>>();

  /**
   * @param publicUrl where vendors can reach the `/v1/webhooks/*` receivers; may be set later with
   *   `reachableAt` (a receiver on a free port knows its address only once it listens).
   */
  constructor(private publicUrl?: string) {}

  reachableAt(publicUrl: string): void {
    this.publicUrl = publicUrl;
  }

  /** Hooks for one vendor's adapter; undefined for vendors that do not call back (or no URL yet). */
  for(vendor: string): WebhookCompletion | undefined {
    if ((vendor !== 'replicate' && vendor !== 'fal') || !this.publicUrl) return undefined;
    return { url: `${this.publicUrl.replace(/\/+$/, '')}/v1/webhooks/${vendor}`, wait: (id, signal) => this.wait(vendor, id, signal) };
  }

  /** A verified delivery: `body` is what the vendor sent (Replicate's prediction, FAL's envelope). */
  deliver(vendor: WebhookVendor, deliveryId: string, body: unknown): void {
    const jobId = jobIdOf(vendor, deliveryId, body);
    const key = `${vendor}:${jobId}`;
    const now = Date.now();
    // Re-inserted, so the map stays in delivery order and the sweep below can stop at the first fresh one.
    this.delivered.delete(key);
    this.delivered.set(key, now);
    for (const [old, at] of this.delivered) {
      if (now - at < REMEMBER_MS) break;
      this.delivered.delete(old);
    }
    for (const wake of this.waiters.get(key) ?? []) wake();
    this.waiters.delete(key);
  }

  wait(vendor: WebhookVendor, jobId: string, signal: AbortSignal): Promise<void> {
    const key = `${vendor}:${jobId}`;
    if (this.delivered.has(key)) return Promise.resolve();
    if (signal.aborted) return Promise.reject(signal.reason);
    return new Promise((resolve, reject) => {
      const waiters = this.waiters.get(key) ?? new Set();
      this.waiters.set(key, waiters);
      const wake = () => {
        signal.removeEventListener('abort', stop);
        resolve();
      };
      const stop = () => {
        waiters.delete(wake);
        if (waiters.size === 0) this.waiters.delete(key);
        reject(signal.reason);
      };
      waiters.add(wake);
      signal.addEventListener('abort', stop, { once: true });
    });
  }
}

/** Replicate's delivery id names the delivery, not the prediction: the prediction's id is in the body. */
function jobIdOf(vendor: WebhookVendor, deliveryId: string, body: unknown): string {
  const fields = typeof body === 'object' && body !== null ? (body as Record<string, unknown>) : {};
  const id = vendor === 'replicate' ? fields.id : (fields.request_id ?? deliveryId);
  return typeof id === 'string' ? id : deliveryId;
}
