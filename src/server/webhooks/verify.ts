/**
 * Verifies vendors' webhooks: Replicate's Standard-Webhooks HMAC (with the `standardwebhooks`
 * library, which also checks the timestamp) and FAL's Ed25519 signature against its JWKS
 * (protocols.md 3.6, 4.4). Both refuse deliveries older than 5 minutes and replays of one id.
 */
import { createHash, createPublicKey, verify as verifySignature } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import type { ReplayCache } from './replay.js';

export type Verdict = { ok: true; id: string } | { ok: false; reason: string };

const TOLERANCE_SECONDS = 300;

export function verifyReplicate(rawBody: string, headers: Headers, secret: string, replays: ReplayCache): Verdict {
  const id = headers.get('webhook-id');
  const timestamp = headers.get('webhook-timestamp');
  const signature = headers.get('webhook-signature');
  if (!id || !timestamp || !signature) return { ok: false, reason: `missing header ${!id ? 'webhook-id' : !timestamp ? 'webhook-timestamp' : 'webhook-signature'}` };
  try {
    new Webhook(secret).verify(rawBody, { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature });
  } catch (error) {
    return { ok: false, reason: error instanceof Error && /timestamp/i.test(error.message) ? 'timestamp outside the 5-minute window' : 'signature does not match' };
  }
  if (!replays.firstTime(`replicate:${id}`)) return { ok: false, reason: 'replayed delivery (this webhook-id was already received)' };
  return { ok: true, id };
}

export interface Jwks {
  keys: { kty: string; crv: string; x: string }[];
}

export function verifyFal(rawBody: string, headers: Headers, jwks: Jwks, replays: ReplayCache, now = Date.now()): Verdict {
  const requestId = headers.get('x-fal-webhook-request-id');
  const userId = headers.get('x-fal-webhook-user-id');
  const timestamp = headers.get('x-fal-webhook-timestamp');
  const signature = headers.get('x-fal-webhook-signature');
  const missing = [['x-fal-webhook-request-id', requestId], ['x-fal-webhook-user-id', userId], ['x-fal-webhook-timestamp', timestamp], ['x-fal-webhook-signature', signature]].find(([, v]) => !v);
  if (missing) return { ok: false, reason: `missing header ${missing[0]}` };
  if (!/^\d+$/.test(timestamp!) || Math.abs(now / 1000 - Number(timestamp)) > TOLERANCE_SECONDS) return { ok: false, reason: 'timestamp outside the 5-minute window' };
  const message = Buffer.from(`${requestId}\n${userId}\n${timestamp}\n${createHash('sha256').update(rawBody).digest('hex')}`, 'utf8');
  const sig = Buffer.from(signature!, 'hex');
  const valid = jwks.keys.some((jwk) => {
    try {
      return verifySignature(null, message, createPublicKey({ key: jwk, format: 'jwk' }), sig);
    } catch {
      return false;
    }
  });
  if (!valid) return { ok: false, reason: 'signature does not match any key in the JWKS' };
  if (!replays.firstTime(`fal:${requestId}:${timestamp}`)) return { ok: false, reason: 'replayed delivery (this request id and timestamp were already received)' };
  return { ok: true, id: requestId! };
}
