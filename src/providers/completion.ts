/**
 * Waiting for an async vendor job between status checks. With webhook completion configured, the
 * vendor calls back when the job ends: the wait ends then, and polling drops to a slow safety net
 * (a webhook can be lost: the vendor gives up, or our receiver was down).
 */
import type { ProviderRuntime, WebhookCompletion } from './types.js';

export type { WebhookCompletion };

/** With webhooks, polls come this many times less often; they only catch a lost delivery. */
const SAFETY_NET_FACTOR = 10;

/** Sleeps `ms` before the next status check — much longer with a webhook, which ends it early. */
export async function pauseBeforePoll(runtime: ProviderRuntime, ms: number, vendorRequestId: string): Promise<void> {
  const completion = runtime.completion;
  if (!completion) return runtime.sleep(ms, runtime.signal);
  const loserStops = new AbortController();
  const signal = AbortSignal.any([runtime.signal, loserStops.signal]);
  // At least the model's typical wait between safety-net polls, however short the poll interval.
  const sleeping = runtime.sleep(Math.max(ms, runtime.firstPollDelayMs ?? 0) * SAFETY_NET_FACTOR, signal);
  const delivered = completion.wait(vendorRequestId, signal);
  // Whichever loses is stopped below; its rejection is expected and must not go unhandled.
  sleeping.catch(() => undefined);
  delivered.catch(() => undefined);
  try {
    await Promise.race([sleeping, delivered]);
  } finally {
    loserStops.abort();
  }
}
