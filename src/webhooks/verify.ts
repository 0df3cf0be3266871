/**
 * Verifies incoming vendor webhooks: Replicate's Standard-Webhooks HMAC (protocols.md 3.6) and
 * FAL's Ed25519 signature against its JWKS (4.4). Both refuse timestamps outside the tolerance
 * (default ±300 s) and replays of one delivery within it. Verdicts, never exceptions, for bad
 * deliveries: a receiver answers them with a 4xx; only a malformed *secret* (our configuration) throws.
 *
 * The HMAC is computed with node:crypto rather than `standardwebhooks`' `verify`: that one reads
 * the wall clock with a fixed 5-minute tolerance, parses the body as JSON, and signs a decoded
 * string rather than the raw bytes. The tests check interoperability by signing with it.
 */
import { createHash, createHmac, createPublicKey, timingSafeEqual, verify as verifySignature } from 'node:crypto';
import { type Jwks } from './jwks.js';
import { ReplayCache, type ReplayStore } from './replay.js';

export { ReplayCache, type ReplayCacheOptions, type ReplayStore } from './replay.js';
export { fetchJwks, type Ed25519Jwk, type FetchJwksOptions, type Jwks } from './jwks.js';

export type WebhookHeaders = Headers | Record<string, string | string[] | undefined>;

export interface WebhookInput {
  headers: WebhookHeaders;
  /** The body exactly as received: re-serialised JSON does not verify. */
  rawBody: string | Uint8Array;
}

export interface VerifyOptions {
  /** Default 300. */
  toleranceSeconds?: number;
  /** Clock in milliseconds; default Date.now. */
  now?: () => number;
  /** Where delivery ids are remembered; default one cache per process, shared by both vendors. */
  seen?: ReplayCache;
}

export type RejectionCode = 'missing_header' | 'malformed_header' | 'stale_timestamp' | 'bad_signature' | 'replayed';
export type Rejection = { ok: false; reason: string; code: RejectionCode };

const DEFAULT_TOLERANCE_SECONDS = 300;
const processCache = new ReplayCache();

/**
 * A delivery whose signature and timestamp check out, not yet checked against replays: the receiver
 * claims `replayKey` in its replay store (`claimDelivery`) before it acts on the delivery.
 */
export interface SignedDelivery {
  ok: true;
  /** What a replay store records for it: the vendor and what identifies the signed delivery. */
  replayKey: string;
  /** Until when (unix ms) a replay of it would still pass the timestamp check. */
  expiresAtMs: number;
  /** When it was checked (unix ms, the verifier's clock). */
  nowMs: number;
  /** The refusal to give if it is a replay, naming the delivery. */
  replayed: Rejection;
}

/** Claims a signed delivery in `store`: undefined the first time, the replay refusal after. */
export async function claimDelivery(store: ReplayStore, delivery: SignedDelivery): Promise<Rejection | undefined> {
  return (await store.claim(delivery.replayKey, delivery.expiresAtMs)) ? undefined : delivery.replayed;
}

/** Verifies a Replicate delivery and claims it in `options.seen` (in memory). */
export function verifyReplicateWebhook(input: WebhookInput, secret: string, options: VerifyOptions = {}): { ok: true; id: string } | Rejection {
  const signed = checkReplicateWebhook(input, secret, options);
  if (!signed.ok) return signed;
  return claimInMemory(options.seen, signed) ?? { ok: true, id: signed.id };
}

/** Verifies a FAL delivery and claims it in `options.seen` (in memory). */
export function verifyFalWebhook(input: WebhookInput, jwks: Jwks, options: VerifyOptions = {}): { ok: true; requestId: string } | Rejection {
  const signed = checkFalWebhook(input, jwks, options);
  if (!signed.ok) return signed;
  return claimInMemory(options.seen, signed) ?? { ok: true, requestId: signed.requestId };
}

function claimInMemory(seen: ReplayCache = processCache, delivery: SignedDelivery): Rejection | undefined {
  return seen.claim(delivery.replayKey, delivery.expiresAtMs, delivery.nowMs) ? undefined : delivery.replayed;
}

/** Replicate's signature and timestamp only; see `SignedDelivery` for the replay check. */
export function checkReplicateWebhook(
  input: WebhookInput,
  secret: string,
  options: Omit<VerifyOptions, 'seen'> = {},
): (SignedDelivery & { id: string }) | Rejection {
  const key = replicateKey(secret);
  const headers = readHeaders(input.headers, ['webhook-id', 'webhook-timestamp', 'webhook-signature']);
  if (!headers.ok) return headers;
  const [id, timestamp, signatures] = headers.values;
  const fresh = checkTimestamp(timestamp, 'webhook-timestamp', options);
  if (!fresh.ok) return fresh;
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.`).update(bytesOf(input.rawBody)).digest();
  // A space-separated list (several during a secret rotation); any one valid `v1` entry suffices.
  const valid = signatures.split(' ').some((entry) => {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || !value || !BASE64.test(value)) return false;
    const given = Buffer.from(value, 'base64');
    return given.length === expected.length && timingSafeEqual(given, expected);
  });
  if (!valid) return reject('bad_signature', 'signature does not match (no v1 entry of webhook-signature verifies)');
  return {
    ok: true,
    id,
    replayKey: `replicate:${id}`,
    expiresAtMs: fresh.expiresAtMs,
    nowMs: fresh.nowMs,
    replayed: reject('replayed', `replayed delivery: webhook-id ${id} was already received`),
  };
}

/** FAL's signature and timestamp only; see `SignedDelivery` for the replay check. */
export function checkFalWebhook(
  input: WebhookInput,
  jwks: Jwks,
  options: Omit<VerifyOptions, 'seen'> = {},
): (SignedDelivery & { requestId: string }) | Rejection {
  const names = ['x-fal-webhook-request-id', 'x-fal-webhook-user-id', 'x-fal-webhook-timestamp', 'x-fal-webhook-signature'] as const;
  const headers = readHeaders(input.headers, names);
  if (!headers.ok) return headers;
  const [requestId, userId, timestamp, signature] = headers.values;
  const fresh = checkTimestamp(timestamp, 'x-fal-webhook-timestamp', options);
  if (!fresh.ok) return fresh;
  if (!/^[0-9a-f]{128}$/i.test(signature)) return reject('malformed_header', 'malformed header x-fal-webhook-signature (expected 64 bytes as hex)');
  const digest = createHash('sha256').update(bytesOf(input.rawBody)).digest('hex');
  const message = Buffer.from(`${requestId}\n${userId}\n${timestamp}\n${digest}`, 'utf8');
  const keys = jwks.keys.filter((k) => k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string');
  if (keys.length === 0) return reject('bad_signature', 'signature does not match: the JWKS holds no Ed25519 key');
  const sig = Buffer.from(signature, 'hex');
  // FAL may rotate keys: any key of the set may have signed.
  const valid = keys.some(({ kty, crv, x }) => {
    try {
      return verifySignature(null, message, createPublicKey({ key: { kty, crv, x }, format: 'jwk' }), sig);
    } catch {
      return false; // an unusable key in the set is skipped, not fatal
    }
  });
  if (!valid) return reject('bad_signature', 'signature does not match any key in the JWKS');
  // The signature binds the timestamp, so (request id, timestamp) names exactly one signed delivery.
  return {
    ok: true,
    requestId,
    replayKey: `fal:${requestId}:${timestamp}`,
    expiresAtMs: fresh.expiresAtMs,
    nowMs: fresh.nowMs,
    replayed: reject('replayed', `replayed delivery: request ${requestId} at ${timestamp} was already received`),
  };
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

function reject(code: RejectionCode, reason: string): Rejection {
  return { ok: false, reason, code };
}

/** `whsec_<base64>` (Replicate's JS client takes the part after the last `_`). Never echoes the secret. */
function replicateKey(secret: string): Buffer {
  const encoded = secret.slice(secret.lastIndexOf('_') + 1);
  const key = Buffer.from(encoded, 'base64');
  if (!BASE64.test(encoded) || key.length === 0) throw new TypeError('the Replicate webhook secret must look like whsec_<base64>');
  return key;
}

function bytesOf(body: string | Uint8Array): Uint8Array {
  return typeof body === 'string' ? Buffer.from(body, 'utf8') : body;
}

function readHeaders<const N extends readonly string[]>(headers: WebhookHeaders, names: N): { ok: true; values: { [K in keyof N]: string } } | Rejection {
  const values: string[] = [];
  for (const name of names) {
    let value: string | string[] | undefined | null;
    if (headers instanceof Headers) value = headers.get(name);
    else value = Object.entries(headers).find(([key]) => key.toLowerCase() === name)?.[1];
    // Two copies of a signed header are ambiguous: which one did the vendor sign?
    if (Array.isArray(value)) {
      if (value.length > 1) return reject('malformed_header', `header ${name} appears more than once`);
      value = value[0];
    }
    if (!value) return reject('missing_header', `missing header ${name}`);
    values.push(value);
  }
  return { ok: true, values: values as { [K in keyof N]: string } };
}

function checkTimestamp(header: string, name: string, options: VerifyOptions): { ok: true; nowMs: number; expiresAtMs: number } | Rejection {
  if (!/^\d{1,12}$/.test(header)) return reject('malformed_header', `malformed header ${name} (expected unix seconds)`);
  const tolerance = options.toleranceSeconds ?? DEFAULT_TOLERANCE_SECONDS;
  const nowMs = (options.now ?? Date.now)();
  const skew = Math.floor(nowMs / 1000) - Number(header);
  if (skew > tolerance) return reject('stale_timestamp', `timestamp is ${skew} s old; deliveries older than ${tolerance} s are refused`);
  if (-skew > tolerance) return reject('stale_timestamp', `timestamp is ${-skew} s in the future; more than ${tolerance} s ahead is refused`);
  // A captured delivery verifies until its timestamp leaves the window, so remember it until then.
  return { ok: true, nowMs, expiresAtMs: (Number(header) + tolerance + 1) * 1000 };
}
