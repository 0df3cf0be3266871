/**
 * Webhook receivers: `POST /v1/webhooks/replicate` and `/v1/webhooks/fal`. A delivery is accepted
 * only with a valid signature, a fresh timestamp and an id not seen before; accepted deliveries are
 * handed to `onDelivery` (the batch engine's webhook completion mode builds on it).
 */
import { Hono } from 'hono';
import { GatewayError } from '../errors.js';
import { ReplayCache } from './replay.js';
import { type Jwks, verifyFal, verifyReplicate } from './verify.js';

export interface WebhookOptions {
  /** Replicate's signing secret (`whsec_…`, from `GET /v1/webhooks/default/secret`). */
  replicateSecret?: () => Promise<string>;
  /** FAL's JWKS (cache it: FAL says at most 24 h). */
  falJwks?: () => Promise<Jwks>;
  onDelivery?: (vendor: 'replicate' | 'fal', id: string, body: unknown) => void;
}

export function webhookRoutes(options: WebhookOptions): Hono {
  const app = new Hono();
  const replays = new ReplayCache();
  const reject = (reason: string) => new GatewayError(401, `webhook rejected: ${reason}`, 'invalid_request_error', 'invalid_signature');

  app.post('/replicate', async (c) => {
    if (!options.replicateSecret) throw new GatewayError(404, 'Replicate webhooks are not configured on this gateway.', 'invalid_request_error', 'not_configured');
    const raw = await c.req.text();
    const verdict = verifyReplicate(raw, c.req.raw.headers, await options.replicateSecret(), replays);
    if (!verdict.ok) throw reject(verdict.reason);
    options.onDelivery?.('replicate', verdict.id, JSON.parse(raw));
    return c.body(null, 204);
  });

  app.post('/fal', async (c) => {
    if (!options.falJwks) throw new GatewayError(404, 'FAL webhooks are not configured on this gateway.', 'invalid_request_error', 'not_configured');
    const raw = await c.req.text();
    const verdict = verifyFal(raw, c.req.raw.headers, await options.falJwks(), replays);
    if (!verdict.ok) throw reject(verdict.reason);
    options.onDelivery?.('fal', verdict.id, JSON.parse(raw));
    return c.body(null, 204);
  });
  return app;
}
