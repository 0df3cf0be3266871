/**
 * Webhook receivers: `POST /v1/webhooks/replicate` and `/v1/webhooks/fal`. A delivery is accepted
 * only with a valid signature, a fresh timestamp and an id not seen before; accepted deliveries are
 * handed to `onDelivery` (the batch engine's webhook completion mode builds on it). Anyone can post
 * here before a signature is checked, so bodies are bounded before they are read.
 */
import { Hono } from 'hono';
import { bodySizeLimit } from '../http/body.js';
import { GatewayError } from '../http/errors.js';
import { ReplayCache, type ReplayStore } from './replay.js';
import { checkFalWebhook, checkReplicateWebhook, claimDelivery, type Jwks, type Rejection, type SignedDelivery } from './verify.js';

/**
 * Default bound on a delivery's body. Deliveries carry a prediction or a result envelope: ids,
 * status, output URLs, logs, and (Replicate) the input echoed back, in which small input images may
 * be data URIs (Replicate advises them only under 1 MB). A larger delivery is refused with 413 and
 * the job it would have woken completes by its safety-net poll instead.
 */
export const WEBHOOK_MAX_BODY_BYTES = 1024 * 1024;

export interface WebhookOptions {
  /** Replicate's signing secret (`whsec_…`, from `GET /v1/webhooks/default/secret`). */
  replicateSecret?: () => Promise<string>;
  /** FAL's JWKS, cached by the caller (FAL says at most 24 h); `refresh` asks for a fresh copy. */
  falJwks?: (refresh?: boolean) => Promise<Jwks>;
  onDelivery?: (vendor: 'replicate' | 'fal', id: string, body: unknown) => void;
  /** Where accepted deliveries are recorded against replays; default in this process's memory. */
  replay?: ReplayStore;
  /** Largest delivery body read (bytes); default `WEBHOOK_MAX_BODY_BYTES`. */
  maxBodyBytes?: number;
}

export function webhookRoutes(options: WebhookOptions): Hono {
  const app = new Hono();
  const replay = options.replay ?? new ReplayCache();
  app.use('*', bodySizeLimit(options.maxBodyBytes ?? WEBHOOK_MAX_BODY_BYTES));
  const notConfigured = (vendor: string) => new GatewayError(404, `${vendor} webhooks are not configured on this gateway.`, { code: 'not_configured' });

  /**
   * A replay is refused with 409 and not handed on (the first delivery was): an attacker learns
   * nothing, and a vendor re-sending a delivery whose answer it lost is told it was a duplicate.
   * Every other refusal is a 401 naming what was wrong.
   */
  const refuse = (verdict: Rejection): never => {
    if (verdict.code === 'replayed') throw new GatewayError(409, `webhook rejected: ${verdict.reason}`, { code: 'replayed_webhook' });
    throw new GatewayError(401, `webhook rejected: ${verdict.reason}`, { code: 'invalid_signature' });
  };

  /** Claims a signed delivery; a store that cannot answer refuses it for now (the vendor retries). */
  const claim = async (delivery: SignedDelivery): Promise<void> => {
    let replayed: Rejection | undefined;
    try {
      replayed = await claimDelivery(replay, delivery);
    } catch {
      throw new GatewayError(503, 'webhook not accepted: the replay store cannot be reached right now; deliver it again later.', {
        type: 'server_error',
        code: 'replay_store_unavailable',
        headers: { 'retry-after': '30' },
      });
    }
    if (replayed) refuse(replayed);
  };

  app.post('/replicate', async (c) => {
    if (!options.replicateSecret) throw notConfigured('Replicate');
    const rawBody = await c.req.text();
    const signed = checkReplicateWebhook({ headers: c.req.raw.headers, rawBody }, await options.replicateSecret());
    if (!signed.ok) return refuse(signed);
    await claim(signed);
    options.onDelivery?.('replicate', signed.id, parseBody(rawBody));
    return c.body(null, 204);
  });

  app.post('/fal', async (c) => {
    if (!options.falJwks) throw notConfigured('FAL');
    const rawBody = await c.req.text();
    const input = { headers: c.req.raw.headers, rawBody };
    const cached = await options.falJwks();
    let signed = checkFalWebhook(input, cached);
    // FAL rotates keys: a signature no cached key verifies is tried against a fresh JWKS. Refreshes
    // are rate-limited, so for a forgery this is usually the same set again: no need to re-check.
    if (!signed.ok && signed.code === 'bad_signature') {
      const fresh = await options.falJwks(true);
      if (fresh !== cached) signed = checkFalWebhook(input, fresh);
    }
    if (!signed.ok) return refuse(signed);
    await claim(signed);
    options.onDelivery?.('fal', signed.requestId, parseBody(rawBody));
    return c.body(null, 204);
  });
  return app;
}

/** A signed body that is not JSON is still the vendor's word; it is passed on as text. */
function parseBody(rawBody: string): unknown {
  try {
    return JSON.parse(rawBody);
  } catch {
    return rawBody;
  }
}
