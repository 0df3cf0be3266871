/**
 * Webhook receivers: `POST /v1/webhooks/replicate` and `/v1/webhooks/fal`. A delivery is accepted
 * only with a valid signature, a fresh timestamp and an id not seen before; accepted deliveries are
 * handed to `onDelivery` (the batch engine's webhook completion mode builds on it).
 */
import { Hono } from 'hono';
import { GatewayError } from '../errors.js';
import { ReplayCache } from './replay.js';
import { type Jwks, type Rejection, verifyFalWebhook, verifyReplicateWebhook } from './verify.js';

export interface WebhookOptions {
  /** Replicate's signing secret (`whsec_…`, from `GET /v1/webhooks/default/secret`). */
  replicateSecret?: () => Promise<string>;
  /** FAL's JWKS, cached by the caller (FAL says at most 24 h); `refresh` asks for a fresh copy. */
  falJwks?: (refresh?: boolean) => Promise<Jwks>;
  onDelivery?: (vendor: 'replicate' | 'fal', id: string, body: unknown) => void;
}

export function webhookRoutes(options: WebhookOptions): Hono {
  const app = new Hono();
  const seen = new ReplayCache();
  const notConfigured = (vendor: string) => new GatewayError(404, `${vendor} webhooks are not configured on this gateway.`, 'invalid_request_error', 'not_configured');

  /**
   * A replay is refused with 409 and not handed on (the first delivery was): an attacker learns
   * nothing, and a vendor re-sending a delivery whose answer it lost is told it was a duplicate.
   * Every other refusal is a 401 naming what was wrong.
   */
  const refuse = (verdict: Rejection): never => {
    if (verdict.code === 'replayed') throw new GatewayError(409, `webhook rejected: ${verdict.reason}`, 'invalid_request_error', 'replayed_webhook');
    throw new GatewayError(401, `webhook rejected: ${verdict.reason}`, 'invalid_request_error', 'invalid_signature');
  };

  app.post('/replicate', async (c) => {
    if (!options.replicateSecret) throw notConfigured('Replicate');
    const rawBody = await c.req.text();
    const verdict = verifyReplicateWebhook({ headers: c.req.raw.headers, rawBody }, await options.replicateSecret(), { seen });
    if (!verdict.ok) return refuse(verdict);
    options.onDelivery?.('replicate', verdict.id, parseBody(rawBody));
    return c.body(null, 204);
  });

  app.post('/fal', async (c) => {
    if (!options.falJwks) throw notConfigured('FAL');
    const rawBody = await c.req.text();
    const input = { headers: c.req.raw.headers, rawBody };
    let verdict = verifyFalWebhook(input, await options.falJwks(), { seen });
    // FAL rotates keys: a signature no cached key verifies is tried once more against a fresh JWKS.
    if (!verdict.ok && verdict.code === 'bad_signature') verdict = verifyFalWebhook(input, await options.falJwks(true), { seen });
    if (!verdict.ok) return refuse(verdict);
    options.onDelivery?.('fal', verdict.requestId, parseBody(rawBody));
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
