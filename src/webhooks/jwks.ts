/**
 * FAL's webhook public keys (protocols.md 4.4): a JWKS fetched from FAL and cached per URL for at
 * most 24 h, as FAL asks. Concurrent callers share one fetch. A signature that no cached key verifies
 * may ask for a fresh copy (FAL rotates keys), but anyone can send such a signature: a refresh is
 * granted at most once per interval per URL, whatever the traffic, and the cached keys answer
 * meanwhile. A failed fetch is remembered for a short while too, so a JWKS host that is down is not
 * asked again by every delivery.
 */
import { z } from 'zod';
import { ProviderUnavailableError } from '../core/errors.js';
import { safeUrl } from '../providers/http.js';

export interface Ed25519Jwk {
  kty: 'OKP';
  crv: 'Ed25519';
  x: string;
}

/** What verifiers accept: any JWKS; keys other than Ed25519 are skipped. */
export interface Jwks {
  keys: readonly { kty: string; crv?: string; x?: string }[];
}

export interface FetchJwksOptions {
  fetch?: typeof fetch;
  /** How long fetched keys are used; default 24 h (FAL's word). */
  maxAgeMs?: number;
  /**
   * Asks for keys fetched no longer than `refreshIntervalMs` ago (after a signature failed with the
   * cached ones); older keys are refetched, newer ones returned as they are.
   */
  refresh?: boolean;
  /** Default 5 min: at most one refresh per interval per URL. */
  refreshIntervalMs?: number;
  /** How long a failed fetch is answered from memory before it is tried again; default 30 s. */
  retryAfterFailureMs?: number;
  now?: () => number;
}

const DAY_MS = 24 * 60 * 60_000;
const REFRESH_INTERVAL_MS = 5 * 60_000;
const RETRY_AFTER_FAILURE_MS = 30_000;

// Other key types may appear in the set; only Ed25519 keys can verify FAL's signatures.
const jwksSchema = z.object({ keys: z.array(z.looseObject({ kty: z.string(), crv: z.string().optional(), x: z.string().optional() })) });

interface CacheEntry {
  /** When the fetch started (a fetch in flight is as fresh as can be: callers share it). */
  at: number;
  jwks: Promise<{ keys: Ed25519Jwk[] }>;
  failed: boolean;
}

const cache = new Map<string, CacheEntry>();

export async function fetchJwks(url: string, options: FetchJwksOptions = {}): Promise<{ keys: Ed25519Jwk[] }> {
  const now = (options.now ?? Date.now)();
  const maxAgeMs = options.maxAgeMs ?? DAY_MS;
  const cached = cache.get(url);
  if (cached && now - cached.at < usableFor(cached, maxAgeMs, options)) return cached.jwks;
  // A refresh that fails keeps the keys it was meant to replace (while they are within their age):
  // an unreachable JWKS host must not also break genuine deliveries.
  const previous = cached && !cached.failed && now - cached.at < maxAgeMs ? cached.jwks : undefined;
  const entry: CacheEntry = { at: now, jwks: Promise.resolve({ keys: [] }), failed: false };
  entry.jwks = download(url, options.fetch ?? fetch).catch((error: unknown) => {
    if (previous) return previous;
    entry.failed = true;
    throw error;
  });
  cache.set(url, entry);
  return entry.jwks;
}

function usableFor(entry: CacheEntry, maxAgeMs: number, options: FetchJwksOptions): number {
  if (entry.failed) return options.retryAfterFailureMs ?? RETRY_AFTER_FAILURE_MS;
  return options.refresh ? Math.min(maxAgeMs, options.refreshIntervalMs ?? REFRESH_INTERVAL_MS) : maxAgeMs;
}

async function download(url: string, fetcher: typeof fetch): Promise<{ keys: Ed25519Jwk[] }> {
  const fail = (why: string, cause?: unknown) =>
    new ProviderUnavailableError(`fal: could not load the webhook JWKS from ${safeUrl(url)}: ${why}`, { provider: 'fal', cause });
  let body: unknown;
  try {
    const response = await fetcher(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) throw fail(`HTTP ${response.status}`);
    body = await response.json();
  } catch (error) {
    throw error instanceof ProviderUnavailableError ? error : fail('network error or malformed JSON', error);
  }
  const parsed = jwksSchema.safeParse(body);
  if (!parsed.success) throw fail('not a JWKS ({ keys: [...] })');
  const keys = parsed.data.keys.filter((k): k is typeof k & Ed25519Jwk => k.kty === 'OKP' && k.crv === 'Ed25519' && typeof k.x === 'string');
  if (keys.length === 0) throw fail('it holds no Ed25519 key');
  return { keys: keys.map(({ kty, crv, x }) => ({ kty, crv, x })) };
}
